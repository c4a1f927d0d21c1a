// Moves of instances between hosts (issue 26): one row a move, from its
// request to its end. While it is under way, its instance is counted on both
// hosts (the destination's usage is taken at the request) and both hosts'
// states carry it, each with its part; `token` is the one secret of its
// channel between the two agents. A write to it wakes the hosts' long-polls.
import { type Kysely, PostgresAdapter, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("instance_moves")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "text", (c) => c.notNull().references("instances.id"))
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("source_host_node_id", "text", (c) => c.notNull())
    .addColumn("destination_host_node_id", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("destination_address", "text")
    .addColumn("destination_port", "integer")
    .addColumn("progress", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("instance_moves_instance").on("instance_moves").column("instance_id").execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter)
    await sql`create trigger instance_moves_wakes_hosts after insert or update or delete on instance_moves
      for each statement execute function wakame_notify_host_state()`.execute(db);
}
