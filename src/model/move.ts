// Moving an instance to another host (PUT /instances/:id/move): when it may
// be asked, and how. A running instance moves live (its memory and disks
// copied while it runs); a halted one cold (its files copied). Pure,
// table-tested.
import type { InstanceState } from "./instance-state.js";
import type { PortForward } from "./port-forward.js";

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
      : "only a running or halted instance moves: wait until it is one or the other";
  return { problem: `${a.instanceId} is ${a.state}: ${why}`, conflict: true };
}

/**
 * A move's states: under way (preparing, ready, copying, switching), then
 * done or failed. `switching` is a live move's point of no return, which
 * dcmgr grants: the source, its guest paused with everything copied, asks
 * it before letting the destination run the guest. Until then a move can be
 * failed from anywhere (a restarted dcmgr fails it, as does its source when
 * dcmgr cannot be reached then) and the guest runs on at the source; from
 * then on QEMU alone ends it: completed, the destination runs the guest;
 * failed (the destination gone before it had it whole), the source does.
 */
export const moveStates = ["preparing", "ready", "copying", "switching", "done", "failed"] as const;
export type MoveState = (typeof moveStates)[number];
export const movesUnderWay: readonly MoveState[] = ["preparing", "ready", "copying", "switching"];
/** What a dcmgr that starts fails: the moves it did not let switch over. */
export const movesBeforeSwitchOver: readonly MoveState[] = ["preparing", "ready", "copying"];

/** Each host's part in a move. */
export type MoveRole = "source" | "destination";

/**
 * What an agent says of a move: the destination that it listens (ready),
 * the source how far it is (copying) and, live, that it would hand the guest
 * over now (switching); the destination that the guest runs or its files
 * are in place there (done); either that it failed.
 */
export type MoveReport =
  | { state: "ready"; address: string; port: number }
  | { state: "copying"; progress: number }
  | { state: "switching" }
  | { state: "done"; port_forwards?: PortForward[][] }
  | { state: "failed"; error: string };

/** Which side says what, from which states, for each kind of move. */
const takes: Record<
  Exclude<MoveReport["state"], "failed">,
  { role: MoveRole; from: Record<MoveKind, readonly MoveState[]> }
> = {
  ready: { role: "destination", from: { live: ["preparing"], cold: ["preparing"] } },
  // A progress report may come after the switch was granted (they cross on their way): taken, the state kept.
  copying: {
    role: "source",
    from: { live: ["ready", "copying", "switching"], cold: ["ready", "copying"] },
  },
  switching: { role: "source", from: { live: ["ready", "copying"], cold: [] } },
  // A live guest runs at the destination only once dcmgr let it switch over; a cold move's
  // files may be in place before the source said it copies.
  done: { role: "destination", from: { live: ["switching"], cold: ["ready", "copying"] } },
};

/** Whether the move takes this report from this side; its refusal (409) otherwise. */
export function moveReportRefusal(
  current: MoveState,
  kind: MoveKind,
  role: MoveRole,
  r: MoveReport,
): string | null {
  if (!movesUnderWay.includes(current)) return `the move is ${current} already: it takes no more reports`;
  if (r.state === "failed") return null;
  const rule = takes[r.state];
  if (rule.role !== role) return `only the ${rule.role} says a move is ${r.state}`;
  if (!rule.from[kind].includes(current)) return `a ${current} ${kind} move cannot become ${r.state}`;
  return null;
}

/** The move's state once it took the report (moveReportRefusal said yes). */
export function moveStateAfter(current: MoveState, r: MoveReport): MoveState {
  return r.state === "copying" && current === "switching" ? "switching" : r.state;
}

/** A report as the agents' API takes it (agent-contract.ts moveReportShape), made whole: what each state needs, or what is missing. */
export function moveReportOf(body: {
  state: MoveReport["state"];
  address?: string;
  port?: number;
  progress?: number;
  error?: string;
  port_forwards?: PortForward[][];
}): MoveReport | { missing: "address" | "port" | "progress" | "error" } {
  switch (body.state) {
    case "ready":
      if (body.address === undefined) return { missing: "address" };
      if (body.port === undefined) return { missing: "port" };
      return { state: "ready", address: body.address, port: body.port };
    case "copying":
      if (body.progress === undefined) return { missing: "progress" };
      return { state: "copying", progress: body.progress };
    case "switching":
      return { state: "switching" };
    case "done":
      return body.port_forwards ? { state: "done", port_forwards: body.port_forwards } : { state: "done" };
    case "failed":
      if (!body.error) return { missing: "error" };
      return { state: "failed", error: body.error };
  }
}
