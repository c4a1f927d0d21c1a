// The events of instances (0005-instance-events): each change writes one,
// from the row as the change left it, in the change's own transaction.
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

/** Records the instances' current state as their newest event. */
export async function recordInstanceEvents(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .insertInto("instance_events")
    .columns(["account_id", "instance_id", "revision", "state", "status", "error", "at"])
    .expression(
      db
        .selectFrom("instances")
        .select(["account_id", "id", "revision", "state", "status", "error", "updated_at"])
        .where("id", "in", ids),
    )
    .execute();
}
