// Evacuating a host (model/evacuation.ts decides): its start, which marks the
// host so that nothing new is placed on it and begins the first moves; and
// its continuation, in the transaction that ends each of its moves (or
// abandons one), which begins the next and, when none is left, ends it.
import type { Kysely, Transaction } from "kysely";
import {
  evacuates,
  evacuationRefusal,
  evacuationStep,
  evacuationWords,
  type LeftBehind,
} from "../model/evacuation.js";
import { movesUnderWay } from "../model/move.js";
import { freshUuid } from "../store/fresh-uuid.js";
import type { Database, HostEvacuationsTable } from "../store/schema.js";
import { ApiError } from "./errors.js";
import { beginMove, type MoveAnswer } from "./move.js";
import { now } from "./routes/common.js";

/** The evacuation of `hostId` under way, if any. */
export async function runningEvacuation(db: Kysely<Database>, hostId: string) {
  return db
    .selectFrom("host_evacuations")
    .selectAll()
    .where("host_node_id", "=", hostId)
    .where("state", "=", "running")
    .executeTakeFirst();
}

/**
 * Begins evacuating `hostId` in the caller's transaction: nothing new placed
 * on it, its first moves begun. Its refusal (an evacuation of it running
 * already) as a string, or the evacuation and the moves begun.
 */
export async function startEvacuation(
  db: Transaction<Database>,
  hostId: string,
  parallel: number,
): Promise<{ refused: string } | { id: string; started: MoveAnswer[]; words: string }> {
  const refused = evacuationRefusal(hostId, (await runningEvacuation(db, hostId)) ?? null);
  if (refused) return { refused };
  const stamp = now();
  await db
    .updateTable("host_nodes")
    .set({ scheduling_enabled: 0, updated_at: stamp })
    .where("id", "=", hostId)
    .execute();
  const id = await freshUuid(db, "host_evacuations", "evacuation");
  await db
    .insertInto("host_evacuations")
    .values({ id, host_node_id: hostId, parallel, state: "running", created_at: stamp, updated_at: stamp })
    .execute();
  const started = await continueEvacuation(db, id);
  return { id, started, words: await describeEvacuation(db, id) };
}

/**
 * Begins the evacuation's next moves, as many as it may run at once; ends it
 * when none is under way and no instance on the host is left to try. An
 * instance that cannot move (its state, no host with room) is left behind,
 * with the reason; one whose move failed too. The moves begun.
 */
export async function continueEvacuation(db: Transaction<Database>, id: string): Promise<MoveAnswer[]> {
  const evacuation = await db
    .selectFrom("host_evacuations")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  if (evacuation.state !== "running") return [];
  const moves = await db.selectFrom("instance_moves").selectAll().where("evacuation_id", "=", id).execute();
  const left: LeftBehind[] = JSON.parse(evacuation.left);
  const tried = new Set([...moves.map((m) => m.instance_id), ...left.map((l) => l.instance_id)]);
  const onHost = (
    await db
      .selectFrom("instances")
      .selectAll()
      .where("host_node_id", "=", evacuation.host_node_id)
      .orderBy("created_at")
      .orderBy("id")
      .execute()
  ).filter((i) => evacuates(i.state));
  const untried = onHost.filter((i) => !tried.has(i.id));
  // One that failed to move stays behind, unless it is leaving anyway (terminated meanwhile).
  const failed = moves.filter((m) => m.state === "failed" && onHost.some((i) => i.id === m.instance_id));
  let underWay = moves.filter((m) => movesUnderWay.includes(m.state)).length;
  const started: MoveAnswer[] = [];
  let end: HostEvacuationsTable["state"] = "running";
  for (;;) {
    const step = evacuationStep({
      parallel: evacuation.parallel,
      underWay,
      untried: untried.length,
      leftBehind: left.length + failed.length,
    });
    if ("end" in step) {
      end = step.end;
      for (const m of failed) left.push({ instance_id: m.instance_id, reason: `${m.id} failed: ${m.error}` });
      break;
    }
    if (step.start === 0) break;
    for (const next of untried.splice(0, step.start)) {
      try {
        started.push(await beginMove(db, next, null, id));
        underWay++;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        left.push({ instance_id: next.id, reason: err.message });
      }
    }
  }
  await db
    .updateTable("host_evacuations")
    .set({ state: end, left: JSON.stringify(left), updated_at: now() })
    .where("id", "=", id)
    .execute();
  return started;
}

/** The newest evacuation of `hostId` in the operator's words, or null if it was never evacuated. */
export async function lastEvacuation(db: Kysely<Database>, hostId: string): Promise<string | null> {
  const last = await db
    .selectFrom("host_evacuations")
    .select("id")
    .where("host_node_id", "=", hostId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .executeTakeFirst();
  return last ? describeEvacuation(db, last.id) : null;
}

async function describeEvacuation(db: Kysely<Database>, id: string): Promise<string> {
  const e = await db
    .selectFrom("host_evacuations")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const moves = await db
    .selectFrom("instance_moves")
    .select("state")
    .where("evacuation_id", "=", id)
    .execute();
  return evacuationWords({
    id,
    state: e.state,
    moved: moves.filter((m) => m.state === "done").length,
    underWay: moves.filter((m) => movesUnderWay.includes(m.state)).length,
    left: JSON.parse(e.left),
  });
}
