// What every vdc-manage command works with, and what they share: a referenced
// row must exist, a chosen uuid must be free, an add or modify is one transaction.
import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import { givenFields } from "../../model/shape.js";
import type { ResourceKind } from "../../model/uuid.js";
import { freshUuid } from "../../store/fresh-uuid.js";
import type { Database, UuidTable } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { UserError } from "../errors.js";
import { requireSomeChange } from "./common-options.js";

export interface Ctx {
  readonly store: Store;
}

/** The tables vdc-manage adds to, shows and deletes by uuid. */
export type KeyedTable = Exclude<
  UuidTable,
  "instances" | "instance_vifs" | "instance_moves" | "host_evacuations"
>;

/** The vdc-manage command word of each table. */
const commandWords: Record<KeyedTable, string> = {
  accounts: "account",
  host_nodes: "host",
  backup_storages: "backupstorage",
  backup_objects: "backupobject",
  images: "image",
  networks: "network",
  ssh_key_pairs: "keypair",
  security_groups: "securitygroup",
};

/** What a table holds, in words, and the command that lists it. */
const described: Record<KeyedTable, { words: string; list: string }> = {
  accounts: { words: "account", list: "see 'vdc-manage account show'" },
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
  return row as unknown as Selectable<Database[T]>;
}

export async function requireFreeUuid(db: Kysely<Database>, table: KeyedTable, id: string): Promise<void> {
  const taken = await db.selectFrom(table).select("id").where("id", "=", id).executeTakeFirst();
  if (taken) {
    throw new UserError(
      `--uuid: ${described[table].words} '${id}' exists already: choose another --uuid, or leave it out to get a new one`,
    );
  }
}

export const now = () => new Date().toISOString();

type Stamped<T extends KeyedTable> = Omit<Insertable<Database[T]>, "id" | "created_at" | "updated_at">;

/**
 * Adds one row in one transaction: a chosen uuid must be free, `columns` checks
 * references and returns the row; the new uuid is printed, as the original did.
 */
export async function addRow<T extends KeyedTable>(
  store: Store,
  table: T,
  kind: ResourceKind,
  chosenUuid: string | undefined,
  columns: (db: Kysely<Database>) => Promise<Stamped<T>>,
): Promise<void> {
  const id = await store.db.transaction().execute(async (db) => {
    const id = chosenUuid ?? (await freshUuid(db, table, kind));
    if (chosenUuid) await requireFreeUuid(db, table, id);
    const stamp = now();
    const row = { ...(await columns(db)), id, created_at: stamp, updated_at: stamp };
    await db
      .insertInto(table as KeyedTable)
      .values(row as never)
      .execute();
    return id;
  });
  process.stdout.write(`${id}\n`);
}

/**
 * Changes one row in one transaction: refuses a modify that names no option,
 * and an unknown uuid; `columns` checks the change against the current row
 * and returns the columns to set (undefined ones are left as they are).
 */
export async function modifyRow<T extends KeyedTable>(
  store: Store,
  table: T,
  id: string,
  options: Record<string, unknown>,
  columns: (db: Kysely<Database>, current: Selectable<Database[T]>) => Promise<Updateable<Database[T]>>,
): Promise<void> {
  requireSomeChange(options, `${commandWords[table]} modify`);
  await store.db.transaction().execute(async (db) => {
    const current = await requireRow(db, table, id);
    const set = givenFields((await columns(db, current)) as Record<string, unknown>);
    await db
      .updateTable(table as KeyedTable)
      .set({ ...set, updated_at: now() } as never)
      .where("id", "=", id)
      .execute();
  });
}
