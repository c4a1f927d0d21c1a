// instance_events grows with every change an account makes (a rename is
// one): kept for `keepDays` and, per instance, the newest `keepPerInstance`,
// so that neither time nor one busy account makes the feed's catch-ups and
// the history pages slow for everyone. The newest event of the store is
// always kept: it is where a fresh feed starts.
import { type Kysely, sql } from "kysely";
import type { Database } from "../store/schema.js";

export interface EventRetention {
  keepDays: number;
  keepPerInstance: number;
}

/** Deletes the events past the retention; how many went. */
export async function pruneInstanceEvents(
  db: Kysely<Database>,
  keep: EventRetention,
  now: Date,
): Promise<number> {
  const newest = await db
    .selectFrom("instance_events")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirst();
  const last = Number(newest?.id ?? 0);
  const cutoff = new Date(now.getTime() - keep.keepDays * 86_400_000).toISOString();
  const old = await db
    .deleteFrom("instance_events")
    .where("at", "<", cutoff)
    .where("id", "<", last)
    .executeTakeFirst();
  const surplus = await db
    .deleteFrom("instance_events")
    .where("id", "<", last)
    .where(
      "id",
      "in",
      sql<number>`(select id from (select id, row_number() over (partition by instance_id order by id desc) as newer
        from instance_events) ranked where newer > ${keep.keepPerInstance})`,
    )
    .executeTakeFirst();
  return Number(old.numDeletedRows) + Number(surplus.numDeletedRows);
}
