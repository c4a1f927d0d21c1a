// Each instance's revision: bumped by every change of what it should be (a
// launch, a user's power request or terminate) or of what its host agent
// reported, in the same transaction. An agent reports with the revision it
// acted on, so a report made from an outdated view is refused instead of
// overwriting a newer change.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("instances")
    .addColumn("revision", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
