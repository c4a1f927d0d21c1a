// The CPU model an instance spec asks for (issue 24), copied to each instance
// at launch as its size is: null means the host's own (hva.conf cpu-model).
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("instance_specs").addColumn("cpu_model", "text").execute();
  await db.schema.alterTable("instances").addColumn("cpu_model", "text").execute();
}
