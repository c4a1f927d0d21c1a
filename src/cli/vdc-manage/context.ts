// What every vdc-manage command works with, and the checks they share:
// a referenced row must exist, a chosen uuid must be free.
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { UserError } from "../errors.js";

export interface Ctx {
  readonly store: Store;
}

export type KeyedTable =
  | "accounts"
  | "host_nodes"
  | "backup_storages"
  | "backup_objects"
  | "images"
  | "networks"
  | "ssh_key_pairs"
  | "security_groups";

/** What a table holds, in words, and the command that lists it. */
const described: Record<KeyedTable, { words: string; list: string }> = {
  accounts: { words: "account", list: "the accounts are a-shpoolxx and those the API created" },
  host_nodes: { words: "host node", list: "see 'vdc-manage host show'" },
  backup_storages: { words: "backup storage", list: "see 'vdc-manage backupstorage show'" },
  backup_objects: { words: "backup object", list: "see 'vdc-manage backupobject show'" },
  images: { words: "image", list: "see 'vdc-manage image show'" },
  networks: { words: "network", list: "see 'vdc-manage network show'" },
  ssh_key_pairs: { words: "ssh key pair", list: "see 'vdc-manage keypair show'" },
  security_groups: { words: "security group", list: "see 'vdc-manage securitygroup show'" },
};

export async function requireRow<T extends KeyedTable>(
  db: Kysely<Database>,
  table: T,
  id: string,
  option?: string,
) {
  const row = await db
    .selectFrom(table as KeyedTable)
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) {
    const { words, list } = described[table];
    const where = option ? `${option}: ` : "";
    throw new UserError(`${where}unknown ${words} '${id}': ${list}`);
  }
  return row as unknown as Database[T];
}

export async function requireFreeUuid(db: Kysely<Database>, table: KeyedTable, id: string): Promise<void> {
  const taken = await db.selectFrom(table).select("id").where("id", "=", id).executeTakeFirst();
  if (taken) {
    throw new UserError(
      `--uuid: ${described[table].words} '${id}' exists already: choose another --uuid, or leave it out to get a new one`,
    );
  }
}

/** The given fields only: an option left out leaves its column as it is. */
export function givenFields<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const now = () => new Date().toISOString();
