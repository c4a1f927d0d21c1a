// Backing an instance up into a new image (PUT /instances/:id/backup): when
// it may be asked, what its host agent is told to do, and how far along it
// is. The backup object goes pending (asked) -> creating (its agent began)
// -> available or failed; its image goes creating -> available or failed.
// Pure, table-tested.
import type { InstanceState } from "./instance-state.js";
import type { OsType } from "./vocabulary.js";

export const backupStates = ["pending", "creating", "available", "failed"] as const;
export type BackupState = (typeof backupStates)[number];

/** The states of a backup under way: one at a time per instance. */
export const backupsUnderWay: readonly BackupState[] = ["pending", "creating"];

export interface BackupAsk {
  instanceId: string;
  state: InstanceState;
  osType: OsType;
  generalize: boolean;
  /** The backup object of a backup of this instance still under way, if any. */
  underWay: string | null;
  /** A power action asked of its agent and not yet carried out (poweron, say). */
  requestedAction: string | null;
  /** The new image is to be public. */
  isPublic: boolean;
}

/** Why this backup cannot be asked, with the request field it is about; null: it can. */
export function backupRefusal(a: BackupAsk): { problem: string; field?: string; conflict: boolean } | null {
  if (a.generalize && a.osType !== "windows")
    return {
      problem: `${a.instanceId} is not a Windows instance: only Windows is generalized (sysprep); back it up halted, without generalize`,
      field: "generalize",
      conflict: false,
    };
  if (a.isPublic && !a.generalize)
    return {
      problem:
        "an image backed up without generalizing keeps its source's Administrator password: only a generalized one (generalize=true) can be public",
      field: "is_public",
      conflict: false,
    };
  if (a.requestedAction)
    return {
      problem: `${a.instanceId} has a ${a.requestedAction} under way: ask for the backup once it is done`,
      conflict: true,
    };
  if (a.underWay)
    return {
      problem: `${a.instanceId} is being backed up already (${a.underWay}): wait until its image is available or failed`,
      conflict: true,
    };
  const allowed: readonly InstanceState[] = a.generalize ? ["running", "halted"] : ["halted"];
  if (!allowed.includes(a.state)) {
    const how =
      a.state === "terminated"
        ? "nothing is left of it to back up"
        : a.generalize
          ? "generalize=true needs it running or halted"
          : a.state === "running" && a.osType === "windows"
            ? "a backup needs it halted: power it off first, or ask generalize=true to have its guest sysprep'd and powered off"
            : a.state === "running"
              ? "a backup needs it halted: power it off first"
              : "a backup needs it halted";
    return { problem: `${a.instanceId} is ${a.state}: ${how}`, conflict: true };
  }
  return null;
}

/** The instance state a backup moves it to at once: a running one is on its way down (its guest generalizes, then powers off). */
export const stateOnBackup = (s: InstanceState): InstanceState => (s === "running" ? "halting" : s);

/** The key of a backup's file in its storage: the object's id names it, and its packing. */
export const backupObjectKey = (backupObjectId: string) => `${backupObjectId}.raw.tar.gz`;

/**
 * The parts of a backup, in order, and the share of its progress each takes:
 * a disk read where it is (an overlay and its image) is packed at once; one
 * that cannot be is flattened into a copy first.
 */
const backupPhases = {
  inPlace: { flatten: [0, 0], pack: [0, 90], upload: [90, 100] },
  flattened: { flatten: [0, 40], pack: [40, 90], upload: [90, 100] },
} as const;
export type BackupPhase = keyof (typeof backupPhases)["inPlace"];

/** A whole percentage of the backup for `done` of `total` of a phase. */
export function backupProgress(phase: BackupPhase, done: number, total: number, flattened = false): number {
  const [from, to] = backupPhases[flattened ? "flattened" : "inPlace"][phase];
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  return Math.floor(from + (to - from) * share);
}
