// Every change of an instance's state (a user's power request or terminate,
// a host agent's report) goes through here: written only if the instance is
// still at the revision the change was decided on, and bumping it. The
// condition is in the UPDATE itself, so it holds on PostgreSQL's read
// committed transactions as on SQLite's serialised ones. Each change is
// recorded as the instance's newest event.
import type { Kysely, Updateable } from "kysely";
import type { PortForward } from "../model/port-forward.js";
import type { Database, InstancesTable } from "../store/schema.js";
import { recordInstanceEvents } from "./instance-events.js";

export type InstanceChange = Omit<Updateable<InstancesTable>, "id" | "revision">;

/** Writes `change` if instance `id` is at `revision`; returns the new revision, or null when it moved on. */
export async function changeInstance(
  db: Kysely<Database>,
  id: string,
  revision: number,
  change: InstanceChange,
): Promise<number | null> {
  const result = await db
    .updateTable("instances")
    .set((eb) => ({ ...change, revision: eb("revision", "+", 1) }))
    .where("id", "=", id)
    .where("revision", "=", revision)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return null;
  await recordInstanceEvents(db, [id]);
  return revision + 1;
}

/** Where the instance's host forwards ports to it, per vif in device order, as its agent says (after a start, or a move's arrival). */
export async function recordPortForwards(
  db: Kysely<Database>,
  instanceId: string,
  perVif: readonly PortForward[][],
): Promise<void> {
  for (const [index, forwards] of perVif.entries())
    await db
      .updateTable("instance_vifs")
      .set({ port_forwards: JSON.stringify(forwards) })
      .where("instance_id", "=", instanceId)
      .where("device_index", "=", index)
      .execute();
}
