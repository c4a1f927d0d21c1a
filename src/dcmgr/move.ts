// Moving an instance to another host (issue 26; model/move.ts decides when):
// the request, which chooses the destination and takes its usage there (the
// instance counts on both hosts while it moves); the two agents' reports;
// and the end, in the transaction of the last report: done (the instance
// placed on the destination, the source's usage given back) or failed (the
// destination's given back, the instance where it was).
import { randomBytes } from "node:crypto";
import type { Kysely, Selectable, Transaction } from "kysely";
import { virtualHardware } from "../model/image-features.js";
import {
  type MoveKind,
  type MoveReport,
  type MoveRole,
  type MoveState,
  moveRefusal,
  moveReportRefusal,
  moveStateAfter,
  movesBeforeSwitchOver,
  movesUnderWay,
} from "../model/move.js";
import { freshUuid } from "../store/fresh-uuid.js";
import type { Database, InstancesTable } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { backupUnderWay } from "./backup.js";
import { errors } from "./errors.js";
import { continueEvacuation } from "./evacuation.js";
import { changeInstance, recordPortForwards } from "./instance-change.js";
import { recordInstanceEvents } from "./instance-events.js";
import { locksRows, place, releaseHostUsage } from "./placement.js";
import { now } from "./routes/common.js";

export interface MoveAnswer {
  move_id: string;
  instance_id: string;
  kind: MoveKind;
  destination_host_node_id: string;
}

/** The move of `instanceId` under way, if any. */
export async function moveUnderWay(db: Kysely<Database>, instanceId: string) {
  return db
    .selectFrom("instance_moves")
    .selectAll()
    .where("instance_id", "=", instanceId)
    .where("state", "in", [...movesUnderWay])
    .executeTakeFirst();
}

/** Ends the instance's move under way, if any, as failed: the destination's room given back (its agent removes what it made). */
export async function abandonMove(db: Transaction<Database>, instanceId: string, why: string): Promise<void> {
  // (Its caller changes the instance itself, updated_at with it.)
  const move = await moveUnderWay(db, instanceId);
  if (!move) return;
  await db
    .updateTable("instance_moves")
    .set({ state: "failed", error: why, updated_at: now() })
    .where("id", "=", move.id)
    .execute();
  const size = await db
    .selectFrom("instances")
    .select(["cpu_cores", "memory_size"])
    .where("id", "=", instanceId)
    .executeTakeFirstOrThrow();
  await releaseHostUsage(db, move.destination_host_node_id, size);
  if (move.evacuation_id) await continueEvacuation(db, move.evacuation_id);
}

/**
 * Asks for a move of the instance to `destination` (null: the scheduler
 * chooses among the hosts that can run it, its own left out). `accountId`:
 * the caller's instances only; null: the operator's, any account's.
 */
export async function requestMove(
  store: Store,
  accountId: string | null,
  instanceId: string,
  destination: string | null,
): Promise<MoveAnswer> {
  return store.db.transaction().execute(async (db) => {
    let q = db.selectFrom("instances").selectAll().where("id", "=", instanceId);
    if (accountId !== null) q = q.where("account_id", "=", accountId);
    const instance = await q.executeTakeFirst();
    if (!instance) throw errors.unknownInstance(`${instanceId} does not exist`);
    return beginMove(db, instance, destination, null);
  });
}

/**
 * Begins the instance's move in the caller's transaction, or throws (an
 * ApiError: why not) before anything is written. `evacuationId`: the
 * evacuation of its host it is part of.
 */
export async function beginMove(
  db: Transaction<Database>,
  instance: Selectable<InstancesTable>,
  destination: string | null,
  evacuationId: string | null,
): Promise<MoveAnswer> {
  const instanceId = instance.id;
  const decided = moveRefusal({
    instanceId,
    state: instance.state,
    hostNodeId: instance.host_node_id,
    destination,
    requestedAction: instance.requested_action,
    backupUnderWay: await backupUnderWay(db, instanceId),
    movingTo: (await moveUnderWay(db, instanceId))?.destination_host_node_id ?? null,
  });
  if ("problem" in decided)
    throw decided.conflict
      ? errors.invalidInstanceState(decided.problem)
      : errors.invalidParameter(decided.problem, decided.field);
  const stamp = now();
  // Its view shows the move: it is newer now, and its readers hear of it.
  if ((await changeInstance(db, instanceId, instance.revision, { updated_at: stamp })) === null)
    throw errors.invalidInstanceState(
      `${instanceId} changed while this move was asked: look at it again and retry`,
    );
  const image = await db
    .selectFrom("images")
    .select("features")
    .where("id", "=", instance.image_id)
    .executeTakeFirstOrThrow();
  const to = await place(
    db,
    locksRows(db),
    {
      hypervisor: instance.hypervisor,
      arch: instance.arch,
      cpu_cores: instance.cpu_cores,
      memory_size: instance.memory_size,
      ...(destination !== null && { host_node_id: destination }),
      hardware: virtualHardware(JSON.parse(image.features)),
    },
    instance.host_node_id,
  );
  const id = await freshUuid(db, "instance_moves", "move");
  await db
    .insertInto("instance_moves")
    .values({
      id,
      instance_id: instanceId,
      account_id: instance.account_id,
      kind: decided.kind,
      state: "preparing",
      source_host_node_id: instance.host_node_id!,
      destination_host_node_id: to,
      token: randomBytes(32).toString("hex"),
      destination_address: null,
      destination_port: null,
      error: null,
      evacuation_id: evacuationId,
      created_at: stamp,
      updated_at: stamp,
    })
    .execute();
  return { move_id: id, instance_id: instanceId, kind: decided.kind, destination_host_node_id: to };
}

/**
 * Takes what a host's agent says of a move of one of its instances (its
 * source's or its destination's), and ends the move when the report does.
 */
export async function recordMoveReport(
  store: Store,
  hostNodeId: string,
  moveId: string,
  r: MoveReport,
): Promise<MoveState> {
  return store.db.transaction().execute(async (db) => {
    // Locked where rows lock: a dcmgr starting meanwhile (failMovesCutShort) waits for this report.
    let query = db.selectFrom("instance_moves").selectAll().where("id", "=", moveId);
    if (locksRows(db)) query = query.forUpdate();
    const move = await query.executeTakeFirst();
    const role: MoveRole | null =
      move?.destination_host_node_id === hostNodeId
        ? "destination"
        : move?.source_host_node_id === hostNodeId
          ? "source"
          : null;
    if (!move || !role)
      throw errors.unknownMove(`${moveId} is no move of an instance to or from ${hostNodeId}`);
    const refused = moveReportRefusal(move.state, move.kind, role, r);
    if (refused) throw errors.moveEnded(`${moveId}: ${refused}`);
    const stamp = now();
    const row = db.updateTable("instance_moves").where("id", "=", moveId);
    const instance = await db
      .selectFrom("instances")
      .select(["cpu_cores", "memory_size"])
      .where("id", "=", move.instance_id)
      .executeTakeFirstOrThrow();
    switch (r.state) {
      case "ready":
        await row
          .set({
            state: "ready",
            destination_address: r.address,
            destination_port: r.port,
            updated_at: stamp,
          })
          .execute();
        break;
      case "copying":
        // Progress reports may cross on their way: it never goes back.
        await row
          .set({
            state: moveStateAfter(move.state, r),
            progress: Math.max(move.progress, r.progress),
            updated_at: stamp,
          })
          .execute();
        break;
      case "switching":
        await row.set({ state: "switching", progress: 99, updated_at: stamp }).execute();
        break;
      case "done":
        await row.set({ state: "done", progress: 100, updated_at: stamp }).execute();
        await releaseHostUsage(db, move.source_host_node_id, instance);
        await db
          .updateTable("instances")
          .set({ host_node_id: move.destination_host_node_id })
          .where("id", "=", move.instance_id)
          .execute();
        // Its forwards are the destination's now (user-mode networking: that host's ports).
        if (r.port_forwards) await recordPortForwards(db, move.instance_id, r.port_forwards);
        break;
      case "failed":
        await row.set({ state: "failed", error: r.error, updated_at: stamp }).execute();
        await releaseHostUsage(db, move.destination_host_node_id, instance);
        break;
    }
    // The instance's view shows its move: it is newer now, and its readers hear of it. Its
    // revision stays: what the agents act on is the move's row, and their reports go on.
    await db.updateTable("instances").set({ updated_at: stamp }).where("id", "=", move.instance_id).execute();
    await recordInstanceEvents(db, [move.instance_id]);
    if (move.evacuation_id && (r.state === "done" || r.state === "failed"))
      await continueEvacuation(db, move.evacuation_id);
    return r.state;
  });
}

/** Why a starting dcmgr fails the moves it finds before their switch-over. */
export const cutShortByRestart =
  "dcmgr restarted before the move switched over: the instance runs on where it was; ask for the move again";

/**
 * Fails the moves under way that have not switched over, as a dcmgr that
 * starts does (serve.ts): what it was told of them while it was down is
 * lost, and a move either completes as granted or never happened. Each
 * destination's room is given back and its agent removes what it made; each
 * source takes its guest back (it is refused the switch-over, or sees the
 * move gone). A move granted its switch-over goes on: its guest may run at
 * the destination already. Their evacuations go on with the next instances.
 * The moves failed.
 */
export async function failMovesCutShort(store: Store, why: string): Promise<number> {
  return store.db.transaction().execute(async (db) => {
    // Locked where rows lock: a switch-over asked meanwhile waits, and then finds the move failed.
    let query = db
      .selectFrom("instance_moves")
      .select("instance_id")
      .where("state", "in", [...movesBeforeSwitchOver])
      // In one order: two dcmgrs starting at once take the rows' locks in turn.
      .orderBy("id");
    if (locksRows(db)) query = query.forUpdate();
    const ids = (await query.execute()).map((m) => m.instance_id);
    for (const id of ids) {
      await abandonMove(db, id, why);
      await db.updateTable("instances").set({ updated_at: now() }).where("id", "=", id).execute();
    }
    await recordInstanceEvents(db, ids);
    return ids.length;
  });
}
