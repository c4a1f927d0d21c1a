// On PostgreSQL, a write to any table a host's state is read from NOTIFYs the
// dcmgr processes at its commit, whoever made it (wakeups.ts LISTENs). One
// notification per statement is plenty: PostgreSQL folds repeats within a
// transaction. SQLite has no such thing; its store wakes in-process.
import { type Kysely, PostgresAdapter, sql } from "kysely";

const tables = [
  "instances",
  "instance_vifs",
  "network_leases",
  "instance_security_groups",
  "security_groups",
  "security_group_rules",
  "networks",
];

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create function wakame_notify_host_state() returns trigger language plpgsql as $$
    begin perform pg_notify('wakame_host_state', ''); return null; end $$`.execute(db);
  for (const t of tables)
    await sql`create trigger ${sql.id(`${t}_wakes_hosts`)} after insert or update or delete on ${sql.table(t)}
      for each statement execute function wakame_notify_host_state()`.execute(db);
}
