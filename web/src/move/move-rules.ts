// What the Move dialog and an instance's move note decide without I/O: when
// a move can be asked (dcmgr's own rule, model/move.ts), which hosts the
// dialog offers, the request, and how a move reads on the pages. Pure.
import { moveRefusal, movesUnderWay } from "../../../src/model/move.js";
import type { HostNode, Instance, InstanceMove } from "../api/types.js";
import { backupUnderWayOf } from "../backup/backup-rules.js";

type Movable = Pick<Instance, "id" | "state" | "host_node" | "backup" | "move">;

const underWay = (m: InstanceMove): boolean => (movesUnderWay as readonly string[]).includes(m.state);

/** Why dcmgr would refuse moving it to `destination` (null: the scheduler's choice) now; null: it would take it. */
export function moveBlocker(i: Movable, destination: string | null): string | null {
  const decided = moveRefusal({
    instanceId: i.id,
    state: i.state,
    hostNodeId: i.host_node,
    destination,
    // A power action still under way is not in the instance's record: dcmgr says so if it is.
    requestedAction: null,
    backupUnderWay: backupUnderWayOf(i),
    movingTo: i.move && underWay(i.move) ? i.move.destination_host_node_id : null,
  });
  return "problem" in decided ? decided.problem : null;
}

/** Whether "Move" is offered: dcmgr would take a move with the scheduler's choice. */
export const moveOffered = (i: Movable): boolean => moveBlocker(i, null) === null;

/** The hosts the dialog offers: another than its own, taking instances. */
export const destinationsFor = (i: Pick<Instance, "host_node">, hosts: readonly HostNode[]): HostNode[] =>
  hosts.filter((h) => h.id !== i.host_node && h.scheduling_enabled);

/** The request's body: a host named, or none for the scheduler to choose. */
export const moveRequest = (destination: string | null): { host_node_id?: string } =>
  destination === null ? {} : { host_node_id: destination };

export interface MoveNote {
  text: string;
  kind: "under-way" | "done" | "failed";
  /** 0-100 while under way. */
  percent: number | null;
}

/** What an instance's newest move says where the instance is shown. */
export function moveNote(m: InstanceMove | null): MoveNote | null {
  if (!m) return null;
  const to = m.destination_host_node_id;
  if (underWay(m)) {
    const steps: Record<string, string> = {
      preparing: " (its destination prepares)",
      ready: " (its copy begins)",
      switching: " (it switches over)",
    };
    const step = steps[m.state] ?? "";
    return { text: `Moving to ${to} … ${m.progress}%${step}`, kind: "under-way", percent: m.progress };
  }
  if (m.state === "failed")
    return {
      text: `Moving to ${to} failed: ${m.error ?? "its hosts gave no reason"}; it runs where it was`,
      kind: "failed",
      percent: null,
    };
  return { text: `Moved to ${to}`, kind: "done", percent: null };
}
