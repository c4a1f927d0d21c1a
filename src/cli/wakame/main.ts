// `wakame up`: the all-in-one cloud on this machine. Today it prepares the
// store under WAKAME_HOME (schema and seed data) and says how to use it; the
// API server, the host agent and the demo image join it as they land.
import { imagesDir, storeConfig } from "../../store/config.js";
import { openStore } from "../../store/store.js";
import { type CommandGroup, command } from "../command.js";
import { runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";

const up = command({
  name: "up",
  summary: "Prepare the store under WAKAME_HOME and show how to register hosts and images",
  args: [],
  options: {},
  async run() {
    let config: ReturnType<typeof storeConfig>;
    try {
      config = storeConfig();
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    const store = await openStore(config, { imagesDir: imagesDir() });
    try {
      const { db } = store;
      const specs = await db.selectFrom("instance_specs").select("name").orderBy("name").execute();
      const storages = await db.selectFrom("backup_storages").select(["id", "base_uri"]).execute();
      const hosts = await db.selectFrom("host_nodes").select("id").execute();
      const images = await db.selectFrom("images").select("id").execute();
      process.stdout.write(
        [
          `wakame-ts store ready: ${store.description}`,
          `  backup storages: ${storages.map((s) => `${s.id} (${s.base_uri})`).join(", ")}`,
          `  instance specs:  ${specs.map((s) => s.name).join(", ")}`,
          `  host nodes:      ${hosts.map((h) => h.id).join(", ") || "none yet"}`,
          `  images:          ${images.map((i) => i.id).join(", ") || "none yet"}`,
          "",
          "Register a KVM host and images with vdc-manage, for example:",
          "  vdc-manage host add hva.demo1 --uuid hn-demo1 --cpu-cores 100 --memory-size 10240 --hypervisor kvm --force",
          "  vdc-manage host show",
          "The API server and the host agent are not part of this release yet (see README.md).",
          "",
        ].join("\n"),
      );
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
