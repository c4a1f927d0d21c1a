// What the API server adds: API tokens (for users, and for host agents), the
// power action a user asked of an instance that its host agent carries out, and
// each host's capacity in use.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("api_tokens")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("subject_id", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.alterTable("instances").addColumn("requested_action", "text").execute();
  // Placement reads these instead of summing every instance of a host on every launch.
  await db.schema
    .alterTable("host_nodes")
    .addColumn("used_cpu_cores", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("host_nodes")
    .addColumn("used_memory_size", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
}
