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

/** A move's states: under way (preparing, ready, copying), then done or failed. */
export const moveStates = ["preparing", "ready", "copying", "done", "failed"] as const;
export type MoveState = (typeof moveStates)[number];
export const movesUnderWay: readonly MoveState[] = ["preparing", "ready", "copying"];

/** Each host's part in a move. */
export type MoveRole = "source" | "destination";

/** What an agent says of a move: the destination that it listens (ready), the source how far it is (copying), the destination that the guest runs there (done), either that it failed. */
export type MoveReport =
  | { state: "ready"; address: string; port: number }
  | { state: "copying"; progress: number }
  | { state: "done"; port_forwards?: PortForward[][] }
  | { state: "failed"; error: string };

/** Which side says what, from which states. */
const takes: Record<
  Exclude<MoveReport["state"], "failed">,
  { role: MoveRole; from: readonly MoveState[] }
> = {
  ready: { role: "destination", from: ["preparing"] },
  copying: { role: "source", from: ["ready", "copying"] },
  // The destination runs the guest once the migration has come whole: the source may not have said "copying" yet.
  done: { role: "destination", from: ["ready", "copying"] },
};

/** Whether the move takes this report from this side; its refusal (409) otherwise. */
export function moveReportRefusal(current: MoveState, role: MoveRole, r: MoveReport): string | null {
  if (!movesUnderWay.includes(current)) return `the move is ${current} already: it takes no more reports`;
  if (r.state === "failed") return null;
  const rule = takes[r.state];
  if (rule.role !== role) return `only the ${rule.role} says a move is ${r.state}`;
  if (!rule.from.includes(current)) return `a ${current} move cannot become ${r.state}`;
  return null;
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
    case "done":
      return body.port_forwards ? { state: "done", port_forwards: body.port_forwards } : { state: "done" };
    case "failed":
      if (!body.error) return { missing: "error" };
      return { state: "failed", error: body.error };
  }
}
