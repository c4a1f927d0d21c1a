// Every change of an instance, as a row: the web GUI's live feed reads them in
// order of their id (a reconnecting page resumes after the last id it saw),
// and an instance's page shows its state history from them. Written in the
// same transaction as the change, so no change goes without its event.
import { type Kysely, PostgresAdapter, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // An id that only grows: SQLite's AUTOINCREMENT never reuses one, PostgreSQL's serial is a sequence.
  const id = postgres ? sql`serial primary key` : sql`integer primary key autoincrement`;
  await sql`create table instance_events (
    id ${id},
    account_id text not null,
    instance_id text not null,
    revision integer not null,
    state text not null,
    status text not null,
    error text,
    at text not null
  )`.execute(db);
  await db.schema
    .createIndex("instance_events_by_instance")
    .on("instance_events")
    .column("instance_id")
    .execute();
}
