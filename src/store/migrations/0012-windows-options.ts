// A Windows instance's launch options (issue 25), as JSON: firewall,
// activation, KMS host, product key, password retries; null for other
// instances and for those launched before.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("instances").addColumn("windows_options", "text").execute();
}
