// The `show [UUID]` and `del UUID` commands every resource has, built from a
// description of the resource so each resource file states only what differs.
import type { Kysely, Selectable } from "kysely";
import type { Field } from "../../model/fields.js";
import type { Database } from "../../store/schema.js";
import { arg, command, optionalArg } from "../command.js";
import { UserError } from "../errors.js";
import { jsonOption, printJson, printRecord, printTable } from "../output.js";
import { type Ctx, type KeyedTable, requireRow } from "./context.js";

export interface ShownResource<T extends KeyedTable, R> {
  table: T;
  uuid: Field<string>;
  /** Plural words for the summary, e.g. "backup objects". */
  words: string;
  record(row: Selectable<Database[T]>): R;
  /** The table columns of the listing. */
  columns: readonly string[];
  row(record: R): readonly unknown[];
  /** The `Key: value` lines of one record. */
  details(record: R): readonly (readonly [string, unknown])[];
}

export function showCommand<T extends KeyedTable, R>(r: ShownResource<T, R>) {
  return command({
    name: "show",
    summary: `Show list of ${r.words} and details`,
    args: [optionalArg("UUID", r.uuid)],
    options: { json: jsonOption },
    async run({ store }: Ctx, [id], o) {
      if (id) {
        const record = r.record(await requireRow(store.db, r.table, id));
        return o.json ? printJson(record) : printRecord(r.details(record));
      }
      const rows = await store.db
        .selectFrom(r.table as KeyedTable)
        .selectAll()
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      const records = rows.map((row) => r.record(row as unknown as Selectable<Database[T]>));
      return o.json ? printJson(records) : printTable(r.columns, records.map(r.row));
    },
  });
}

export interface DeletedResource<T extends KeyedTable> {
  table: T;
  uuid: Field<string>;
  summary: string;
  /** Why this row cannot go yet (what still uses it), or undefined. */
  inUse(db: Kysely<Database>, id: string): Promise<string | undefined>;
  /** Rows that point at this one and go with it (or let go of it). */
  detach?(db: Kysely<Database>, id: string): Promise<void>;
}

export function delCommand<T extends KeyedTable>(r: DeletedResource<T>) {
  return command({
    name: "del",
    summary: r.summary,
    args: [arg("UUID", r.uuid)],
    options: {},
    async run({ store }: Ctx, [id]) {
      await store.db.transaction().execute(async (db) => {
        await requireRow(db, r.table, id!);
        const why = await r.inUse(db, id!);
        if (why) throw new UserError(`${id} is still in use: ${why}`);
        await r.detach?.(db, id!);
        await db
          .deleteFrom(r.table as KeyedTable)
          .where("id", "=", id!)
          .execute();
      });
    },
  });
}
