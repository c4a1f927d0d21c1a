// `vdc-manage spec`: named instance presets (`instance_spec_name`, e.g. kvm.xlarge).
import { cpuModelField } from "../../model/cpu-model.js";
import { enumField, intField, textField } from "../../model/fields.js";
import { givenFields } from "../../model/shape.js";
import { arches, hypervisors } from "../../model/vocabulary.js";
import { instanceSpecRecord } from "../../store/records.js";
import { arg, type CommandGroup, command, optionalArg } from "../command.js";
import { UserError } from "../errors.js";
import { jsonOption, printJson, printRecord, printTable } from "../output.js";
import { requireSomeChange } from "./common-options.js";
import { type Ctx, now } from "./context.js";

const specName = textField({
  max: 64,
  pattern: /^[a-z0-9][a-z0-9._-]*$/,
  patternWords: "lowercase letters, digits, dots and dashes, e.g. kvm.xlarge",
});

const specOptions = {
  hypervisor: { field: enumField(hypervisors), desc: "The hypervisor of instances of this spec" },
  arch: { field: enumField(arches), desc: "The CPU architecture" },
  cpu_cores: { field: intField({ max: 256 }), desc: "Number of cpu cores" },
  memory_size: { field: intField({ max: 4194304 }), desc: "Memory size (in MB)" },
  cpu_model: {
    field: cpuModelField,
    desc: "The CPU its instances see, a QEMU CPU model (default: the host's hva cpu-model)",
  },
  description: { field: textField({ max: 4096 }), desc: "Description of the spec" },
};

async function requireSpec(ctx: Ctx, name: string) {
  const row = await ctx.store.db
    .selectFrom("instance_specs")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  if (!row) throw new UserError(`unknown instance spec '${name}': see 'vdc-manage spec show'`);
  return row;
}

const add = command({
  name: "add",
  summary: "Add an instance spec",
  args: [arg("NAME", specName)],
  options: {
    ...specOptions,
    hypervisor: { ...specOptions.hypervisor, default: "kvm" as const },
    arch: { ...specOptions.arch, default: "x86_64" as const },
    cpu_cores: { ...specOptions.cpu_cores, required: true },
    memory_size: { ...specOptions.memory_size, required: true },
  },
  async run({ store }: Ctx, [name], o) {
    await store.db.transaction().execute(async (db) => {
      const taken = await db
        .selectFrom("instance_specs")
        .select("name")
        .where("name", "=", name!)
        .executeTakeFirst();
      if (taken)
        throw new UserError(
          `instance spec ${name} exists already: change it with 'vdc-manage spec modify ${name}'`,
        );
      const stamp = now();
      await db
        .insertInto("instance_specs")
        .values({
          name: name!,
          hypervisor: o.hypervisor!,
          arch: o.arch!,
          cpu_cores: o.cpu_cores!,
          memory_size: o.memory_size!,
          cpu_model: o.cpu_model ?? null,
          description: o.description ?? null,
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
    });
    process.stdout.write(`${name}\n`);
  },
});

const modify = command({
  name: "modify",
  summary: "Modify an instance spec",
  args: [arg("NAME", specName)],
  options: specOptions,
  async run(ctx: Ctx, [name], o) {
    requireSomeChange(o, "spec modify");
    await requireSpec(ctx, name!);
    await ctx.store.db
      .updateTable("instance_specs")
      .set({ ...givenFields(o), updated_at: now() })
      .where("name", "=", name!)
      .execute();
  },
});

const del = command({
  name: "del",
  summary: "Delete an instance spec",
  args: [arg("NAME", specName)],
  options: {},
  async run(ctx: Ctx, [name]) {
    await requireSpec(ctx, name!);
    await ctx.store.db.deleteFrom("instance_specs").where("name", "=", name!).execute();
  },
});

const show = command({
  name: "show",
  summary: "Show list of instance specs and details",
  args: [optionalArg("NAME", specName)],
  options: { json: jsonOption },
  async run(ctx: Ctx, [name], o) {
    if (name) {
      const spec = instanceSpecRecord(await requireSpec(ctx, name));
      if (o.json) return printJson(spec);
      return printRecord([
        ["Name", spec.name],
        ["Hypervisor", spec.hypervisor],
        ["Arch", spec.arch],
        ["CPU Cores", spec.cpu_cores],
        ["Memory Size", `${spec.memory_size}MB`],
        ["CPU Model", spec.cpu_model ?? "(the host's)"],
        ["Description", spec.description],
        ["Create", spec.created_at],
        ["Update", spec.updated_at],
      ]);
    }
    const rows = (await ctx.store.db.selectFrom("instance_specs").selectAll().orderBy("name").execute()).map(
      instanceSpecRecord,
    );
    if (o.json) return printJson(rows);
    printTable(
      ["Name", "Hypervisor", "Arch", "CPU Cores", "Memory (MB)"],
      rows.map((r) => [r.name, r.hypervisor, r.arch, r.cpu_cores, r.memory_size]),
    );
  },
});

export const specCommands: CommandGroup<Ctx> = {
  name: "spec",
  summary: "Add, change and list instance specs (kvm.small, kvm.large, kvm.xlarge, ...)",
  commands: [add, modify, del, show],
};
