// What a fresh store holds, so that the seed document's commands work at once:
// account a-shpoolxx, backup storage bkst-local, the instance specs and one
// network. Runs once, as a migration, in the same transaction as the schema.

import { pathToFileURL } from "node:url";
import type { Kysely } from "kysely";
import { defaultAccountId, defaultInstanceSpecs, defaultNetwork } from "../model/vocabulary.js";
import type { Database } from "./schema.js";

export interface SeedSettings {
  /** Directory behind bkst-local. */
  imagesDir: string;
}

export async function seedFreshStore(db: Kysely<Database>, settings: SeedSettings): Promise<void> {
  const now = new Date().toISOString();
  const stamps = { created_at: now, updated_at: now };
  await db
    .insertInto("accounts")
    .values({ id: defaultAccountId, display_name: "default account", ...stamps })
    .execute();
  const baseUri = pathToFileURL(settings.imagesDir).href.replace(/\/?$/, "/");
  await db
    .insertInto("backup_storages")
    .values({
      id: "bkst-local",
      display_name: "local images",
      node_id: null,
      base_uri: baseUri,
      storage_type: "local",
      description: null,
      ...stamps,
    })
    .execute();
  await db
    .insertInto("instance_specs")
    .values(defaultInstanceSpecs.map((s) => ({ ...s, arch: "x86_64", description: null, ...stamps })))
    .execute();
  await db
    .insertInto("networks")
    .values({
      ...defaultNetwork,
      account_id: defaultAccountId,
      network_mode: "securitygroup",
      service_type: "std",
      description: "QEMU user-mode network of the single-host cloud",
      ...stamps,
    })
    .execute();
}
