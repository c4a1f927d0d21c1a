// What the host state's loaders read through, and how they hand rows to the instance they belong to.
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";

export type Db = Kysely<Database>;

/** Rows grouped by the instance they belong to, in their order; an instance with none gets []. */
export function byInstance<R extends { instance_id: string }, T>(rows: readonly R[], item: (row: R) => T) {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.instance_id) ?? [];
    group.push(item(row));
    groups.set(row.instance_id, group);
  }
  return (id: string): T[] => groups.get(id) ?? [];
}
