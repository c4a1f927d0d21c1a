// vdc-manage: the operator's CLI over the store (the same store dcmgr uses).
import { imagesDir, storeConfig } from "../../store/config.js";
import { openStore } from "../../store/store.js";
import type { CommandGroup } from "../command.js";
import { runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";
import { accountCommands, tokenCommands } from "./account.js";
import { backupObjectCommands } from "./backup-object.js";
import { backupStorageCommands } from "./backup-storage.js";
import type { Ctx } from "./context.js";
import { hostCommands } from "./host.js";
import { imageCommands } from "./image.js";
import { keypairCommands } from "./keypair.js";
import { networkCommands } from "./network.js";
import { securityGroupCommands } from "./security-group.js";
import { specCommands } from "./spec.js";

const root: CommandGroup<Ctx> = {
  name: "vdc-manage",
  summary:
    "Manage the wakame-ts store: hosts, backup storages and objects, images, instance specs, networks.\n" +
    "State: WAKAME_HOME (default ./var) for SQLite, or DATABASE_URL=postgres://... for PostgreSQL.",
  commands: [
    hostCommands,
    backupStorageCommands,
    backupObjectCommands,
    imageCommands,
    specCommands,
    networkCommands,
    keypairCommands,
    securityGroupCommands,
    accountCommands,
    tokenCommands,
  ],
};

const exitCode = await runProgram<Ctx>(
  {
    root,
    async openContext() {
      let config: ReturnType<typeof storeConfig>;
      try {
        config = storeConfig();
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      return { store: await openStore(config, { imagesDir: imagesDir() }) };
    },
    closeContext: (ctx) => ctx.store.close(),
  },
  process.argv.slice(2),
);
process.exitCode = exitCode;
