// Lists in the original's envelope: `[{"total", "start", "limit", "results"}]`,
// paged by `start` and `limit` in SQL (a count and one page of rows), so a
// list costs the same with 100,000 rows as with 100.
import { type SelectQueryBuilder, sql } from "kysely";
import { intField } from "../model/fields.js";

export const pageShape = {
  start: { field: intField({ min: 0 }), desc: "index of the first result", default: 0 },
  limit: { field: intField({ max: 1000 }), desc: "how many results at most", default: 250 },
};

/** One page of the query's rows (it carries its filters and its order), made into records by `records`. */
export async function pageOf<DB, TB extends keyof DB, O, R>(
  q: SelectQueryBuilder<DB, TB, O>,
  start: number,
  limit: number,
  records: (rows: O[]) => R[] | Promise<R[]>,
) {
  const counted = await q
    .clearSelect()
    .clearOrderBy()
    .select(sql<number>`count(*)`.as("n"))
    .executeTakeFirstOrThrow();
  const rows = await q.offset(start).limit(limit).execute();
  return [{ total: Number((counted as { n: number }).n), start, limit, results: await records(rows) }];
}
