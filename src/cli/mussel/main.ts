// mussel: the user's CLI for the API, with the original's words:
// `mussel RESOURCE COMMAND [UUID] [--options]`.
import { existsSync, readFileSync } from "node:fs";
import { escapeControlCharacters, safeJson } from "../../model/control-characters.js";
import { textField } from "../../model/fields.js";
import type { Shape } from "../../model/shape.js";
import { arg, type Command, type CommandGroup, command } from "../command.js";
import { runProgram } from "../dispatch.js";
import { jsonOption } from "../output.js";
import { call, type Params } from "./client.js";
import { loadConfig, type MusselConfig } from "./config.js";
import { decryptInstancePassword } from "./decrypt.js";

type Ctx = MusselConfig;

const text = (desc: string) => ({ field: textField({ max: 65536, lines: true }), desc });
/** Values the original read from a file when given a file's path (its `strfile` parameters). */
const fileOrText = (desc: string) => text(`${desc} (text, or a file to read it from)`);
const list = (desc: string) => text(`${desc} (separated by spaces or commas)`);

interface Resource {
  /** `instance`, as typed; the API path is its plural. */
  name: string;
  path: string;
  create?: Shape;
  /** Options of `create`/`update` that name a file to read, and those that are lists. */
  files?: readonly string[];
  lists?: readonly string[];
  update?: Shape;
  index?: Shape;
  destroy?: boolean;
}

function params(resource: Resource, options: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === "json") continue;
    let v = String(value);
    if (resource.files?.includes(key) && existsSync(v)) v = readFileSync(v, "utf8");
    out[key] = resource.lists?.includes(key) ? v.split(/[\s,]+/).filter(Boolean) : v;
  }
  return out;
}

async function print(
  ctx: Ctx,
  json: boolean | undefined,
  method: string,
  path: string,
  p?: Params,
  q?: Params,
) {
  const answer = await call(ctx, method, path, { params: p, query: q, format: json ? "json" : ctx.format });
  // Whatever the server sent, no control character reaches the terminal raw.
  process.stdout.write(
    json
      ? `${safeJson(JSON.parse(answer.body), 2)}\n`
      : escapeControlCharacters(answer.body.replace(/\n?$/, "\n"), "\n"),
  );
}

const uuidArg = arg("UUID", textField({ max: 64 }));

function resourceCommands(r: Resource, extra: Command<Shape, Ctx>[] = []): CommandGroup<Ctx> {
  const commands: Command<Shape, Ctx>[] = [
    command({
      name: "index",
      summary: `List ${r.path}`,
      args: [],
      options: { ...r.index, json: jsonOption },
      run: (ctx: Ctx, _a, o) => print(ctx, o.json, "GET", `/${r.path}`, undefined, params(r, o)),
    }),
    command({
      name: "show",
      summary: `Show one of the ${r.path}`,
      args: [uuidArg],
      options: { json: jsonOption },
      run: (ctx: Ctx, [id], o) => print(ctx, o.json, "GET", `/${r.path}/${id}`),
    }),
  ];
  if (r.create) {
    commands.push(
      command({
        name: "create",
        summary: `Create one of the ${r.path}`,
        args: [],
        options: { ...r.create, json: jsonOption },
        run: (ctx: Ctx, _a, o) => print(ctx, o.json, "POST", `/${r.path}`, params(r, o)),
      }),
    );
  }
  if (r.update) {
    commands.push(
      command({
        name: "update",
        summary: `Change one of the ${r.path}`,
        args: [uuidArg],
        options: { ...r.update, json: jsonOption },
        run: (ctx: Ctx, [id], o) => print(ctx, o.json, "PUT", `/${r.path}/${id}`, params(r, o)),
      }),
    );
  }
  if (r.destroy) {
    commands.push(
      command({
        name: "destroy",
        summary: `Delete one of the ${r.path}`,
        args: [uuidArg],
        options: { json: jsonOption },
        run: (ctx: Ctx, [id], o) => print(ctx, o.json, "DELETE", `/${r.path}/${id}`),
      }),
    );
  }
  return { name: r.name, summary: `Work with ${r.path}`, commands: [...commands, ...extra] };
}

const instance: Resource = {
  name: "instance",
  path: "instances",
  index: {
    state: text("only this state (alive: all but terminated)"),
    service_type: text("only this service type"),
  },
  create: {
    image_id: text("image to launch"),
    instance_spec_name: text("instance spec, e.g. kvm.xlarge"),
    cpu_cores: text("cpu cores"),
    memory_size: text("memory (MB)"),
    hypervisor: text("hypervisor"),
    ssh_key_id: text("ssh key pair (an RSA one for Windows images)"),
    security_groups: list("security groups"),
    vifs: fileOrText('network interfaces as JSON, e.g. {"eth0":{"network":"nw-demo1"}}'),
    user_data: fileOrText("user data"),
    hostname: text("host name"),
    display_name: text("display name"),
    service_type: text("service type"),
    host_node_id: text("host node to place it on"),
    windows_firewall: text("Windows: the guest's firewall on (true) or off (false)"),
    auto_activate: text("Windows: activate at first boot (true or false)"),
    kms_host: text("Windows: activate against this KMS HOST:PORT"),
    product_key: text("Windows: product key XXXXX-XXXXX-XXXXX-XXXXX-XXXXX, applied before activation"),
    password_retries: text("Windows: tries at setting the first password"),
  },
  files: ["vifs", "user_data"],
  lists: ["security_groups"],
  update: { display_name: text("display name"), ssh_key_id: text("ssh key pair") },
  destroy: true,
};

const put = (name: string, summary: string, options: Shape = {}) =>
  command({
    name,
    summary,
    args: [uuidArg],
    options: { ...options, json: jsonOption },
    run: (ctx: Ctx, [id], o) => print(ctx, o.json, "PUT", `/instances/${id}/${name}`, params(instance, o)),
  });

const instanceExtras: Command<Shape, Ctx>[] = [
  put("poweroff", "Power the instance off (ACPI; --force=true at once)", {
    force: text("true: power off at once"),
  }),
  put("poweron", "Power the instance on"),
  put(
    "backup",
    "Make a new image of the instance's disk (halted, or --generalize=true: Windows, sysprep'd first)",
    {
      display_name: text("the new image's name"),
      description: text("the new image's description"),
      is_public: text("true: every account sees the image"),
      is_cacheable: text("true or false: hosts keep it cached (default: as the instance's image)"),
      all: text("true: every volume (the boot disk is the only one)"),
      generalize: text(
        "true: the guest runs sysprep-for-backup and powers off first; launches get a new password",
      ),
    },
  ),
  put("reboot", "Reboot the instance"),
  put("move", "Move the running instance to another host, live (its disk, memory and TPM go with it)", {
    host_node_id: text("the host to move it to (default: the scheduler's choice)"),
  }),
  command({
    name: "show_password",
    summary: "Show the encrypted initial password",
    args: [uuidArg],
    options: { json: jsonOption },
    run: (ctx: Ctx, [id], o) => print(ctx, o.json, "GET", `/instances/${id}/password`),
  }),
  command({
    name: "delete_password",
    summary: "Delete the encrypted initial password from the server",
    args: [uuidArg],
    options: { json: jsonOption },
    run: (ctx: Ctx, [id], o) => print(ctx, o.json, "DELETE", `/instances/${id}/password`),
  }),
  command({
    name: "decrypt_password",
    summary: "Decrypt the initial password with your private key (PEM or OpenSSH); prints only the password",
    args: [uuidArg, arg("KEYFILE")],
    options: {},
    async run(ctx: Ctx, [id, keyFile]) {
      process.stdout.write(`${await decryptInstancePassword(ctx, id!, keyFile!)}\n`);
    },
  }),
];

const root: CommandGroup<Ctx> = {
  name: "mussel",
  summary:
    "The wakame-ts API from the shell. Finds the API from /etc/wakame-vdc/musselrc, ~/.musselrc and\n" +
    "DCMGR_HOST, DCMGR_PORT, DCMGR_RESPONSE_FORMAT (yml or json), account_id, DCMGR_API_TOKEN.",
  commands: [
    resourceCommands(instance, instanceExtras),
    resourceCommands({
      name: "ssh_key_pair",
      path: "ssh_key_pairs",
      create: {
        public_key: fileOrText(
          "OpenSSH public key; leave out to have an RSA pair made (the private key is shown once)",
        ),
        display_name: text("display name"),
        description: text("description"),
        download_once: text("accepted for compatibility"),
      },
      files: ["public_key"],
      update: { display_name: text("display name"), description: text("description") },
      destroy: true,
    }),
    resourceCommands({
      name: "security_group",
      path: "security_groups",
      index: { service_type: text("only this service type") },
      create: {
        rule: fileOrText("rules, one a line, e.g. tcp:3389,3389,ip4:0.0.0.0"),
        display_name: text("display name"),
        description: text("description"),
        service_type: text("service type"),
      },
      files: ["rule"],
      update: {
        rule: fileOrText("rules, one a line"),
        display_name: text("display name"),
        description: text("description"),
        service_type: text("service type"),
      },
      destroy: true,
    }),
    resourceCommands({ name: "image", path: "images", destroy: true }),
    resourceCommands({ name: "backup_object", path: "backup_objects", destroy: true }),
    resourceCommands({ name: "host_node", path: "host_nodes" }),
    resourceCommands({ name: "instance_spec", path: "instance_specs" }),
  ],
};

process.exitCode = await runProgram(
  { root, openContext: async () => loadConfig(), closeContext: async () => {} },
  process.argv.slice(2),
);
