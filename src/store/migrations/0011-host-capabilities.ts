// What each host's agent reports it can give a VM (issue 24): UEFI, Secure
// Boot, a TPM, KVM, its CPU model, as JSON; null until its agent reports.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("host_nodes").addColumn("capabilities", "text").execute();
}
