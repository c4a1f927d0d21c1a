// Instance states (api.md, "Instance states") and which of them hold a host's capacity.

export const instanceStates = [
  "scheduling",
  "pending",
  "initializing",
  "running",
  "halting",
  "halted",
  "shuttingdown",
  "terminated",
] as const;

export type InstanceState = (typeof instanceStates)[number];

/** The status the API shows beside the state (the original's words). */
export type InstanceStatus = "init" | "online" | "offline" | "error";

/** An instance's status: an error says so whatever the state; then by state. */
export function instanceStatus(state: InstanceState, error: string | null): InstanceStatus {
  if (error) return "error";
  switch (state) {
    case "running":
      return "online";
    case "halted":
    case "terminated":
      return "offline";
    case "scheduling":
    case "pending":
    case "initializing":
    case "halting":
    case "shuttingdown":
      return "init";
    default:
      return unreachable(state);
  }
}

/** For the `default` of an exhaustive switch: the compiler says when a case is missing. */
export function unreachable(value: never): never {
  throw new Error(`not a known value: ${String(value)}`);
}

/** What the user asked the host agent to do next; null when nothing is asked. */
export const requestedActions = ["poweroff", "poweroff_force", "poweron", "reboot", "terminate"] as const;
export type RequestedAction = (typeof requestedActions)[number];

/** The states from which each power action is allowed. */
export const actionAllowedFrom: Record<"poweroff" | "poweron" | "reboot", readonly InstanceState[]> = {
  poweroff: ["running", "initializing"],
  poweron: ["halted"],
  reboot: ["running"],
};

/** The states in which the instance's QEMU runs and has a console (a screen, a VNC server) to show. */
export const consoleStates: readonly InstanceState[] = ["initializing", "running", "halting"];

/** Why there is no console now, or null when there is one. */
export function noConsoleReason(id: string, state: string): string | null {
  return (consoleStates as readonly string[]).includes(state)
    ? null
    : `${id} is ${state}: a console exists only while it is ${consoleStates.join(", ")}`;
}
