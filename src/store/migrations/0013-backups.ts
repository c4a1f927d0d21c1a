// Backups of instances into images (issue 25): a backup object made from an
// instance names it, says how far its making is (0-100) and why it failed;
// an image says whether it was generalized (sysprep'd: a launch goes through
// the first boot) or not (it boots as its source was, password and all).
// The seed images and those registered before are generalized.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("backup_objects").addColumn("source_instance_id", "text").execute();
  await db.schema.alterTable("backup_objects").addColumn("progress", "integer").execute();
  await db.schema.alterTable("backup_objects").addColumn("error", "text").execute();
  await db.schema
    .alterTable("images")
    .addColumn("generalized", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
}
