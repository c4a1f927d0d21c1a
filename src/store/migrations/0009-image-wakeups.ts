// A host's state names each instance's image, backup object and backup
// storage (where the agent fetches it from): a change to one of them wakes the
// hosts' long-polls too (0007-host-wakeups), so a moved backup storage reaches
// the agents that have yet to fetch from it.
import { type Kysely, PostgresAdapter, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const t of ["images", "backup_objects", "backup_storages"])
    await sql`create trigger ${sql.id(`${t}_wakes_hosts`)} after insert or update or delete on ${sql.table(t)}
      for each statement execute function wakame_notify_host_state()`.execute(db);
}
