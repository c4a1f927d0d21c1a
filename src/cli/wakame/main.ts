// `wakame up`: the all-in-one cloud on this machine. Today: the store under
// WAKAME_HOME (schema and seed data) and the API server; the host agent, the
// demo image and the GUI join it as they land.
import { serveApi, untilStopped } from "../../dcmgr/serve.js";
import { apiOptions } from "../api-options.js";
import { type CommandGroup, command } from "../command.js";
import { runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";
import { openStoreFromEnv } from "../store-context.js";

const up = command({
  name: "up",
  summary: "Start the all-in-one cloud: the store under WAKAME_HOME and the API server; Ctrl-C stops it",
  args: [],
  options: apiOptions,
  async run(_ctx: undefined, _args, o) {
    const store = await openStoreFromEnv();
    try {
      const { db } = store;
      const specs = await db.selectFrom("instance_specs").select("name").orderBy("name").execute();
      const storages = await db.selectFrom("backup_storages").select(["id", "base_uri"]).execute();
      const hosts = await db.selectFrom("host_nodes").select("id").execute();
      const images = await db.selectFrom("images").select("id").execute();
      const api = await serveApi(store, {
        listen: o.listen!,
        deletePasswordAfterMinutes: o.delete_password_after_minutes!,
        logger: false,
      }).catch((err: Error) => {
        throw new UserError(err.message);
      });
      const { host, port } = o.listen!;
      process.stdout.write(
        [
          `wakame-ts is up: store ${store.description}`,
          `  API:             ${api.url}  (mussel: DCMGR_HOST=${host} DCMGR_PORT=${port})`,
          `  backup storages: ${storages.map((s) => `${s.id} (${s.base_uri})`).join(", ")}`,
          `  instance specs:  ${specs.map((s) => s.name).join(", ")}`,
          `  host nodes:      ${hosts.map((h) => h.id).join(", ") || "none yet"}`,
          `  images:          ${images.map((i) => i.id).join(", ") || "none yet"}`,
          "",
          "Try, in another shell:",
          "  vdc-manage host add hva.demo1 --uuid hn-demo1 --cpu-cores 100 --memory-size 10240 --hypervisor kvm --force",
          "  mussel ssh_key_pair create --public-key ~/.ssh/id_rsa.pub",
          "  mussel instance_spec index",
          "The host agent that boots instances is not part of this release yet (see README.md). Ctrl-C stops.",
          "",
        ].join("\n"),
      );
      await untilStopped();
      await api.stop();
      process.stdout.write("wakame-ts stopped\n");
    } finally {
      await store.close();
    }
  },
});

const root: CommandGroup<undefined> = {
  name: "wakame",
  summary: "The all-in-one wakame-ts cloud on this machine.",
  commands: [up],
};

process.exitCode = await runProgram(
  { root, openContext: async () => undefined, closeContext: async () => {} },
  process.argv.slice(2),
);
