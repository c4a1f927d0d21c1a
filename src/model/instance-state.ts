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

/** What the user asked the host agent to do next; null when nothing is asked. */
export const requestedActions = ["poweroff", "poweroff_force", "poweron", "reboot", "terminate"] as const;
export type RequestedAction = (typeof requestedActions)[number];

/** The states from which each power action is allowed. */
export const actionAllowedFrom: Record<"poweroff" | "poweron" | "reboot", readonly InstanceState[]> = {
  poweroff: ["running", "initializing"],
  poweron: ["halted"],
  reboot: ["running"],
};
