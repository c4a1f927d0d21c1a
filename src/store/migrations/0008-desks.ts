// What a user waits for from a host agent, in the store so that any dcmgr
// serves any request (issue 12): a screenshot asked of one dcmgr is taken by
// an agent that reads another, and delivered through a third; a console
// ticket issued by one is redeemed at another. The browser's console socket
// itself stays in the process it reached: its tunnel row names that dcmgr,
// and the agent connects its end there. Rows live seconds.
import { type Kysely, PostgresAdapter, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("screenshot_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "text", (c) => c.notNull())
    .addColumn("requested_at", "text", (c) => c.notNull())
    // The PNG as base64 once delivered: text is the same on both stores.
    .addColumn("png", "text")
    .execute();
  await db.schema
    .createTable("console_tickets")
    .addColumn("ticket_hash", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("console_tunnels")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "text", (c) => c.notNull())
    // Where the agent connects its end: the dcmgr holding the page's socket (null: any).
    .addColumn("dcmgr_url", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  // A host's state names them: their changes wake its long-poll (0007-host-wakeups).
  for (const t of ["screenshot_requests", "console_tunnels"])
    await sql`create trigger ${sql.id(`${t}_wakes_hosts`)} after insert or update or delete on ${sql.table(t)}
      for each statement execute function wakame_notify_host_state()`.execute(db);
}
