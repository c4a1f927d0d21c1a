// Why a row cannot be deleted yet, where the operator's CLI and the API both ask.
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** A live instance in the group, or another group's rule naming it as a source; undefined when free. */
export async function securityGroupInUse(db: Kysely<Database>, id: string): Promise<string | undefined> {
  const member = await db
    .selectFrom("instance_security_groups")
    .innerJoin("instances", "instances.id", "instance_security_groups.instance_id")
    .select("instances.id")
    .where("security_group_id", "=", id)
    .where("instances.state", "!=", "terminated")
    .executeTakeFirst();
  if (member) return `instance ${member.id} is in it: terminate the instance or change its groups first`;
  const referrer = await db
    .selectFrom("security_group_rules")
    .select("security_group_id")
    .where("source_group_id", "=", id)
    .where("security_group_id", "!=", id)
    .executeTakeFirst();
  return referrer && `a rule of ${referrer.security_group_id} names it as a source: change that rule first`;
}

/** A live (not terminated) instance on this host node, or from this image. */
export async function liveInstance(
  db: Kysely<Database>,
  column: "host_node_id" | "image_id",
  id: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("instances")
    .select("id")
    .where(column, "=", id)
    .where("state", "!=", "terminated")
    .executeTakeFirst();
  return row?.id;
}

/** A live instance with an interface on this network. */
export async function networkInUse(db: Kysely<Database>, id: string): Promise<string | undefined> {
  const vif = await db
    .selectFrom("instance_vifs")
    .innerJoin("instances", "instances.id", "instance_vifs.instance_id")
    .select("instance_id")
    .where("network_id", "=", id)
    .where("instances.state", "!=", "terminated")
    .executeTakeFirst();
  return vif && `instance ${vif.instance_id} has an interface on it: terminate the instance first`;
}

/** A live instance launched from this image; undefined when none. */
export async function imageInUse(db: Kysely<Database>, id: string): Promise<string | undefined> {
  const image = await db.selectFrom("images").select("state").where("id", "=", id).executeTakeFirst();
  if (image?.state === "creating")
    return "its backup is still being written: delete it once it is available or failed";
  const live = await liveInstance(db, "image_id", id);
  return live && `instance ${live} runs from it: terminate the instance first`;
}

/** An image made from this backup object (`deleteHow` says how to delete it); undefined when none. */
export async function backupObjectInUse(
  db: Kysely<Database>,
  id: string,
  deleteHow: (image: string) => string,
): Promise<string | undefined> {
  const image = await db
    .selectFrom("images")
    .select("id")
    .where("backup_object_id", "=", id)
    .executeTakeFirst();
  return image && `image ${image.id} is made from it: delete the image first (${deleteHow(image.id)})`;
}
