// Every migration, in order. A schema change is a new file added here; a
// released migration is never edited. Seeding is a migration too, so a fresh
// store gets its defaults exactly once and in the same run as its schema.
import type { Kysely, MigrationProvider } from "kysely";
import { type SeedSettings, seedFreshStore } from "../seed.js";
import * as initial from "./0001-initial.js";
import * as api from "./0003-api.js";
import * as instanceRevision from "./0004-instance-revision.js";
import * as instanceEvents from "./0005-instance-events.js";
import * as networkSettings from "./0006-network-settings.js";
import * as hostWakeups from "./0007-host-wakeups.js";
import * as desks from "./0008-desks.js";
import * as imageWakeups from "./0009-image-wakeups.js";
import * as cpuModel from "./0010-cpu-model.js";
import * as hostCapabilities from "./0011-host-capabilities.js";
import * as windowsOptions from "./0012-windows-options.js";
import * as backups from "./0013-backups.js";
import * as moves from "./0014-moves.js";
import * as evacuations from "./0015-evacuations.js";

export function migrationsFor(seed: SeedSettings): MigrationProvider {
  return {
    getMigrations: async () => ({
      "0001-initial": initial,
      // biome-ignore lint/suspicious/noExplicitAny: the migrator hands out an untyped handle
      "0002-seed": { up: (db: Kysely<any>) => seedFreshStore(db, seed) },
      "0003-api": api,
      "0004-instance-revision": instanceRevision,
      "0005-instance-events": instanceEvents,
      "0006-network-settings": networkSettings,
      "0007-host-wakeups": hostWakeups,
      "0008-desks": desks,
      "0009-image-wakeups": imageWakeups,
      "0010-cpu-model": cpuModel,
      "0011-host-capabilities": hostCapabilities,
      "0012-windows-options": windowsOptions,
      "0013-backups": backups,
      "0014-moves": moves,
      "0015-evacuations": evacuations,
    }),
  };
}
