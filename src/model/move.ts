// Moving an instance to another host (PUT /instances/:id/move, `vdc-manage
// host evacuate`): when it may be asked, and how. A running instance moves
// live (its memory and disks copied while it runs); a halted one moves cold
// (its files copied). Pure, table-tested.
import type { InstanceState } from "./instance-state.js";

export type MoveKind = "live" | "cold";

export interface MoveAsk {
  instanceId: string;
  state: InstanceState;
  /** The host it is on. */
  hostNodeId: string | null;
  /** The host asked for, if the user named one. */
  destination: string | null;
  /** A power action asked of its agent and not yet carried out. */
  requestedAction: string | null;
  /** The backup object of a backup of it still under way, if any. */
  backupUnderWay: string | null;
  /** The host it is moving to already, if it is. */
  movingTo: string | null;
}

/** How it moves, or why it cannot (with the request field it is about). */
export function moveRefusal(
  a: MoveAsk,
): { kind: MoveKind } | { problem: string; field?: string; conflict: boolean } {
  if (a.destination !== null && a.destination === a.hostNodeId)
    return {
      problem: `${a.instanceId} is on ${a.destination} already: name another host, or none to let the scheduler choose`,
      field: "host_node_id",
      conflict: false,
    };
  if (a.movingTo)
    return {
      problem: `${a.instanceId} is moving to ${a.movingTo} already: wait until it has arrived`,
      conflict: true,
    };
  if (a.requestedAction)
    return {
      problem: `${a.instanceId} has a ${a.requestedAction} under way: ask for the move once it is done`,
      conflict: true,
    };
  if (a.backupUnderWay)
    return {
      problem: `${a.instanceId} is being backed up (${a.backupUnderWay}): move it once its image is available or failed`,
      conflict: true,
    };
  if (a.state === "running") return { kind: "live" };
  if (a.state === "halted") return { kind: "cold" };
  const why =
    a.state === "terminated"
      ? "nothing is left of it to move"
      : "only a running instance (moved live) or a halted one (its files copied) moves: wait until it is one or the other";
  return { problem: `${a.instanceId} is ${a.state}: ${why}`, conflict: true };
}
