// `vdc-manage host`: the KVM hosts instances are placed on.

import type { Kysely } from "kysely";
import { lastEvacuation, runningEvacuation, startEvacuation } from "../../dcmgr/evacuation.js";
import { defaultParallelMoves, enableRefusal, maxParallelMoves } from "../../model/evacuation.js";
import { enumField, flagField, intField, textField, uuidField } from "../../model/fields.js";
import { capabilityWords } from "../../model/host-capabilities.js";
import { arches, hypervisors } from "../../model/vocabulary.js";
import { liveInstance } from "../../store/in-use.js";
import { flag, hostNodeRecord } from "../../store/records.js";
import type { Database } from "../../store/schema.js";
import { arg, type CommandGroup, command, optionalArg } from "../command.js";
import { UserError } from "../errors.js";
import { jsonOption, printJson, printRecord, printTable } from "../output.js";
import { addRow, type Ctx, modifyRow, now, requireRow } from "./context.js";
import { delCommand } from "./show-del.js";

const nodeIdField = textField({
  max: 255,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  patternWords: "letters, digits, dots, dashes and underscores, e.g. hva.demo1",
});

const hostUuid = uuidField("hostNode");

const hostOptions = {
  display_name: { field: textField(), desc: "The name for the host node" },
  cpu_cores: { field: intField(), desc: "Number of cpu cores to be offered" },
  memory_size: { field: intField(), desc: "Amount of memory to be offered (in MB)" },
  hypervisor: { field: enumField(hypervisors), desc: "The hypervisor name" },
  arch: { field: enumField(arches), desc: "The CPU architecture type" },
  disk_space: {
    field: intField({ min: 0 }),
    desc: "Amount of disk space to store instances local volumes (MB)",
  },
  scheduling_enabled: { field: flagField, desc: "Flag to tell scheduler to provision the host node" },
};

const add = command({
  name: "add",
  summary: "Register a new host node",
  args: [arg("NODE_ID", nodeIdField)],
  options: {
    uuid: { field: hostUuid, desc: "The UUID for the new host node" },
    ...hostOptions,
    cpu_cores: { ...hostOptions.cpu_cores, default: 1 },
    memory_size: { ...hostOptions.memory_size, default: 1024 },
    hypervisor: { ...hostOptions.hypervisor, default: "kvm" as const },
    arch: { ...hostOptions.arch, default: "x86_64" as const },
    disk_space: { ...hostOptions.disk_space, default: 0 },
    scheduling_enabled: { ...hostOptions.scheduling_enabled, default: true },
    force: {
      field: flagField,
      desc: "Register even if no agent has reported this node ID yet",
      default: false,
    },
  },
  async run({ store }: Ctx, [nodeId], o) {
    await addRow(store, "host_nodes", "hostNode", o.uuid, async (db) => {
      if (!o.force) {
        const seen = await db
          .selectFrom("node_states")
          .select("node_id")
          .where("node_id", "=", nodeId!)
          .executeTakeFirst();
        if (!seen) {
          throw new UserError(
            `node ID ${nodeId} has not reported in yet: start its agent (hva --node-id ${nodeId}) first, or add --force to register it now`,
          );
        }
      }
      await requireFreeNodeId(db, nodeId!);
      return {
        node_id: nodeId!,
        display_name: o.display_name ?? null,
        offering_cpu_cores: o.cpu_cores!,
        offering_memory_size: o.memory_size!,
        offering_disk_space_mb: o.disk_space!,
        hypervisor: o.hypervisor!,
        arch: o.arch!,
        scheduling_enabled: flag(o.scheduling_enabled!),
      };
    });
  },
});

/** One host node per agent: a node ID registered under another uuid is refused. */
async function requireFreeNodeId(db: Kysely<Database>, nodeId: string, except?: string): Promise<void> {
  let query = db.selectFrom("host_nodes").select("id").where("node_id", "=", nodeId);
  if (except) query = query.where("id", "!=", except);
  const other = await query.executeTakeFirst();
  if (other) {
    throw new UserError(
      `node ID ${nodeId} is registered already as ${other.id}: see 'vdc-manage host show ${other.id}'`,
    );
  }
}

/** A host being evacuated takes no new instances until its evacuation ends. */
async function refuseEnableWhileEvacuating(db: Kysely<Database>, id: string): Promise<void> {
  const refused = enableRefusal(id, (await runningEvacuation(db, id)) ?? null);
  if (refused) throw new UserError(refused);
}

const modify = command({
  name: "modify",
  summary: "Modify a registered host node",
  args: [arg("UUID", hostUuid)],
  options: { ...hostOptions, node_id: { field: nodeIdField, desc: "The node ID for the host node" } },
  async run({ store }: Ctx, [id], o) {
    await modifyRow(store, "host_nodes", id!, o, async (db) => {
      if (o.node_id) await requireFreeNodeId(db, o.node_id, id);
      if (o.scheduling_enabled) await refuseEnableWhileEvacuating(db, id!);
      return {
        node_id: o.node_id,
        display_name: o.display_name,
        offering_cpu_cores: o.cpu_cores,
        offering_memory_size: o.memory_size,
        offering_disk_space_mb: o.disk_space,
        hypervisor: o.hypervisor,
        arch: o.arch,
        scheduling_enabled: o.scheduling_enabled === undefined ? undefined : flag(o.scheduling_enabled),
      };
    });
  },
});

const evacuate = command({
  name: "evacuate",
  summary: "Move every instance off a host node, and place nothing new on it until 'host enable'",
  args: [arg("UUID", hostUuid)],
  options: {
    parallel: {
      field: intField({ min: 1, max: maxParallelMoves }),
      desc: "How many instances move at once",
      default: defaultParallelMoves,
    },
    json: jsonOption,
  },
  async run({ store }: Ctx, [id], o) {
    const begun = await store.db.transaction().execute(async (db) => {
      await requireRow(db, "host_nodes", id!);
      return startEvacuation(db, id!, o.parallel!);
    });
    if ("refused" in begun) throw new UserError(begun.refused);
    if (o.json) return printJson(begun);
    console.log(begun.words);
    for (const m of begun.started)
      console.log(`${m.move_id}: ${m.instance_id} to ${m.destination_host_node_id}`);
  },
});

const enable = command({
  name: "enable",
  summary: "Place new instances on a host node again (after 'host evacuate')",
  args: [arg("UUID", hostUuid)],
  options: {},
  async run({ store }: Ctx, [id]) {
    await store.db.transaction().execute(async (db) => {
      await requireRow(db, "host_nodes", id!);
      await refuseEnableWhileEvacuating(db, id!);
      await db
        .updateTable("host_nodes")
        .set({ scheduling_enabled: 1, updated_at: now() })
        .where("id", "=", id!)
        .execute();
    });
  },
});

const del = delCommand({
  table: "host_nodes",
  uuid: hostUuid,
  summary: "Deregister a host node",
  async inUse(db, id) {
    const live = await liveInstance(db, "host_node_id", id);
    return live && `it runs instance ${live}: terminate its instances first`;
  },
  async detach(db, id) {
    await db.updateTable("instances").set({ host_node_id: null }).where("host_node_id", "=", id).execute();
    const evacuations = db.selectFrom("host_evacuations").select("id").where("host_node_id", "=", id);
    await db
      .updateTable("instance_moves")
      .set({ evacuation_id: null })
      .where("evacuation_id", "in", evacuations)
      .execute();
    await db.deleteFrom("host_evacuations").where("host_node_id", "=", id).execute();
  },
});

const show = command({
  name: "show",
  summary: "Show list of host nodes and details",
  args: [optionalArg("UUID", hostUuid)],
  options: { json: jsonOption },
  async run({ store }: Ctx, [id], o) {
    const { db } = store;
    if (!id) {
      const rows = await db
        .selectFrom("host_nodes")
        .selectAll()
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      if (o.json) return printJson(rows.map(hostNodeRecord));
      return printTable(
        ["UUID", "Node ID", "Hypervisor", "Architecture", "CPU", "Memory", "Scheduling"],
        rows.map((r) => [
          r.id,
          r.node_id,
          r.hypervisor,
          r.arch,
          r.offering_cpu_cores,
          r.offering_memory_size,
          r.scheduling_enabled === 1,
        ]),
      );
    }
    const host = hostNodeRecord(await requireRow(db, "host_nodes", id));
    const cpuUsed = host.used_cpu_cores;
    const memoryUsed = host.used_memory_size;
    const evacuation = await lastEvacuation(db, id);
    if (o.json)
      return printJson({ ...host, cpu_core_usage: cpuUsed, memory_size_usage: memoryUsed, evacuation });
    printRecord([
      ["Host UUID", host.id],
      ["Node ID", host.node_id],
      ["Name", host.display_name],
      ["CPU Cores (usage / offering)", `${cpuUsed} / ${host.offering_cpu_cores}`],
      ["Memory (usage / offering)", `${memoryUsed}MB / ${host.offering_memory_size}MB`],
      ["Disk Space (offering)", `${host.offering_disk_space_mb}MB`],
      ["Hypervisor", host.hypervisor],
      ["Architecture", host.arch],
      ["Scheduling Enabled", host.scheduling_enabled],
      ["Evacuation", evacuation ?? "none"],
      ["Can Run", capabilityWords(host.capabilities)],
      ["Create", host.created_at],
      ["Update", host.updated_at],
    ]);
  },
});

export const hostCommands: CommandGroup<Ctx> = {
  name: "host",
  summary: "Register, change and list the KVM host nodes",
  commands: [add, modify, del, show, evacuate, enable],
};
