// vdc-manage: the operator's CLI over the store (the same store dcmgr uses).
import type { CommandGroup } from "../command.js";
import { runProgram } from "../dispatch.js";
import { openStoreFromEnv } from "../store-context.js";
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
    openContext: async () => ({ store: await openStoreFromEnv() }),
    closeContext: (ctx) => ctx.store.close(),
  },
  process.argv.slice(2),
);
process.exitCode = exitCode;
