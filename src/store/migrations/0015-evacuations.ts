// Evacuations of hosts (vdc-manage host evacuate, issue 26): one row an
// evacuation, from its start to its end. Its moves point at it; the
// transaction that ends one of them starts the next. `left` holds, as JSON,
// the instances it did not move and why.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("host_evacuations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("host_node_id", "text", (c) => c.notNull().references("host_nodes.id"))
    .addColumn("parallel", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("left", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("host_evacuations_host")
    .on("host_evacuations")
    .column("host_node_id")
    .execute();
  await db.schema
    .alterTable("instance_moves")
    .addColumn("evacuation_id", "text", (c) => c.references("host_evacuations.id"))
    .execute();
}
