// Evacuating a host (vdc-manage host evacuate): every instance moved off it,
// at most `parallel` at a time, nothing new placed on it until it is enabled
// again. What to start next and how an evacuation ends are decided here;
// dcmgr/evacuation.ts does it in the store. Pure, table-tested.
import type { InstanceState } from "./instance-state.js";

export type EvacuationState = "running" | "done" | "incomplete";

/** An instance an evacuation did not move, and why. */
export interface LeftBehind {
  instance_id: string;
  reason: string;
}

/** The most moves one evacuation runs at once: each copies a guest's memory and disk over the hosts' link. */
export const maxParallelMoves = 16;
export const defaultParallelMoves = 2;

/** Instances on their way out are not moved: they are leaving the host anyway. */
export function evacuates(state: InstanceState): boolean {
  return state !== "terminated" && state !== "shuttingdown";
}

/** Why `host` cannot be evacuated now (an evacuation of it running already), or null. */
export function evacuationRefusal(host: string, running: { id: string } | null): string | null {
  return running
    ? `${host} is being evacuated already (${running.id}): wait until it ends ('vdc-manage host show ${host}' says how far it is)`
    : null;
}

/** Why `host` cannot take instances again now, or null. */
export function enableRefusal(host: string, running: { id: string } | null): string | null {
  return running
    ? `${host} is being evacuated (${running.id}): enable it once the evacuation has ended ('vdc-manage host show ${host}')`
    : null;
}

/**
 * What an evacuation does next: how many of the instances not tried yet to
 * start moving (up to `parallel` under way at once), or, with none under
 * way and none left to try, its end.
 */
export function evacuationStep(a: {
  parallel: number;
  underWay: number;
  untried: number;
  /** Instances it could not move, or whose moves failed. */
  leftBehind: number;
}): { start: number } | { end: Exclude<EvacuationState, "running"> } {
  if (a.underWay === 0 && a.untried === 0) return { end: a.leftBehind === 0 ? "done" : "incomplete" };
  return { start: Math.max(0, Math.min(a.parallel - a.underWay, a.untried)) };
}

/** What the operator reads of an evacuation. */
export function evacuationWords(e: {
  id: string;
  state: EvacuationState;
  moved: number;
  underWay: number;
  left: readonly LeftBehind[];
}): string {
  const parts = [`${e.id} ${e.state}: ${e.moved} moved`];
  if (e.underWay > 0) parts.push(`${e.underWay} moving`);
  if (e.left.length > 0)
    parts.push(`${e.left.length} left: ${e.left.map((l) => `${l.instance_id} (${l.reason})`).join("; ")}`);
  return parts.join(", ");
}
