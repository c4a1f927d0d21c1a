// What the host agent does next for one instance: what it should be (from
// dcmgr) against what it is (files, QEMU process, metadata drive). Pure: the
// agent's loop observes, asks this, acts, and reports; the hard cases (agent
// restarted mid-first-boot, VM died, no password) are rows of its tests.

import type { WantedBackup, WantedMove } from "../model/agent-contract.js";
import { type InstanceState, type RequestedAction, unreachable } from "../model/instance-state.js";

export interface Wanted {
  state: InstanceState;
  requested_action: RequestedAction | null;
  os_type: string;
  backup: Pick<WantedBackup, "state" | "generalize"> | null;
  move: Pick<WantedMove, "kind" | "role" | "state"> | null;
}

export interface Observed {
  /** Disk and metadata drive made for this instance. */
  files: boolean;
  /** A QEMU process of this instance is alive. */
  running: boolean;
  /** It runs, it should have a TPM, and its TPM (swtpm) has ended: the guest lost it. */
  tpmLost: boolean;
  /** The metadata drive still holds first-boot: the first boot has not been collected. */
  firstBootPending: boolean;
  /** When the running process started, ms since the epoch. */
  startedAt: number | null;
  /** When an ACPI power-off was last asked of the guest, ms since the epoch. */
  powerdownAskedAt: number | null;
  /** When the VM was started with sysprep-for-backup on its drive, ms since the epoch; null: not for this backup. */
  sysprepStartedAt: number | null;
  /** Its disk is generalized: its guest sysprep'd itself and powered off, and it has not booted since. */
  generalized: boolean;
  /** After a boot with sysprep-for-backup: the guest took the flag off its drive, as it does before it generalizes. */
  sysprepFlagGone: boolean;
  /** This agent carries the instance's move now (move/run-move.ts). */
  moveHeld: boolean;
  /** Its VM handed itself over to a move's destination: paused here for good, unless that move failed. */
  movedAway: boolean;
}

export interface Timeouts {
  /** password_generation_timeout: the first boot must end (power off) within it. */
  firstBootMs: number;
  /** How long a guest may take to honour an ACPI power-off before it is forced. */
  powerdownMs: number;
}

export type Action =
  | { kind: "wait" }
  /** Fetch the image, make the disk and the metadata drive (with first-boot). */
  | { kind: "prepare" }
  /** Start QEMU, then report `report`; `done` is the requested action this carries out. */
  | { kind: "start"; report: "initializing" | "running"; done?: RequestedAction }
  /** Read pw.enc, hand it (or why there is none) to dcmgr, delete first-boot. */
  | { kind: "collect-password" }
  | { kind: "powerdown" }
  | { kind: "force-stop"; report: "halted"; error?: string; done?: RequestedAction }
  | { kind: "reset"; done: RequestedAction }
  /** Stop whatever runs, delete the instance's files, report terminated. */
  | { kind: "destroy" }
  | { kind: "report"; state: InstanceState; error?: string; done?: RequestedAction }
  /** Put sysprep-for-backup on the drive and start the VM: its guest generalizes itself and powers off. */
  | { kind: "start-sysprep" }
  /** The guest generalized itself: take the flag off its drive, arm its next first boot. */
  | { kind: "generalized" }
  /** Write the disk into the backup storage and report the backup available (or failed). */
  | { kind: "backup" }
  /** End the backup as failed (stopping its VM), leaving nothing in the storage. */
  | { kind: "fail-backup"; error: string }
  /** A move's destination: make the files, start the VM awaiting it, listen, report ready (then done). */
  | { kind: "receive-move" }
  /** A move's source: send the disks and the guest to the ready destination. */
  | { kind: "send-move" }
  /** End the move as failed: at the destination, what it made removed. */
  | { kind: "fail-move"; error: string }
  /** A source's move begun by an agent that stopped: undo it (the guest runs on here) and fail it. */
  | { kind: "abandon-move" }
  /** Its guest handed itself over to a destination that never ran it: run it again here. */
  | { kind: "take-back" };

export function nextAction(want: Wanted, seen: Observed, now: number, t: Timeouts): Action {
  const windows = want.os_type === "windows";
  if (want.requested_action === "terminate" || want.state === "shuttingdown" || want.state === "terminated") {
    return { kind: "destroy" };
  }
  if (want.backup) {
    const b = backupAction(want, seen, now, t);
    if (b) return b;
  }
  const m = moveAction(want, seen);
  if (m) return m;
  if (!seen.files) {
    if (want.state === "pending") return { kind: "prepare" };
    if (want.state === "halted") return { kind: "wait" };
    return { kind: "report", state: "halted", error: "the instance's files are gone from its host" };
  }

  if (seen.running && seen.tpmLost && want.state !== "halting")
    return {
      kind: "force-stop",
      report: "halted",
      error: "its TPM (swtpm) ended while the VM ran (see swtpm.log in its directory): power it on again",
    };

  if (seen.running) {
    switch (want.state) {
      case "pending":
        // Started before the agent could report it (restarted in between).
        return { kind: "report", state: windows && seen.firstBootPending ? "initializing" : "running" };
      case "initializing":
        if (seen.firstBootPending && seen.startedAt !== null && now - seen.startedAt > t.firstBootMs) {
          return {
            kind: "force-stop",
            report: "halted",
            error: `first boot did not finish within ${Math.round(t.firstBootMs / 1000)} s (password_generation_timeout)`,
          };
        }
        if (!seen.firstBootPending) return { kind: "report", state: "running" };
        return { kind: "wait" };
      case "running":
        if (want.requested_action === "reboot") return { kind: "reset", done: "reboot" };
        return { kind: "wait" };
      case "halting":
        if (want.requested_action === "poweroff_force")
          return { kind: "force-stop", report: "halted", done: "poweroff_force" };
        if (seen.powerdownAskedAt === null) return { kind: "powerdown" };
        if (now - seen.powerdownAskedAt > t.powerdownMs) {
          return { kind: "force-stop", report: "halted", done: want.requested_action ?? undefined };
        }
        return { kind: "wait" };
      case "halted":
        if (want.requested_action === "poweron") return { kind: "report", state: "running", done: "poweron" };
        return { kind: "force-stop", report: "halted" };
      // Not placed yet: nothing of this host's to do (shuttingdown and terminated were destroyed above).
      case "scheduling":
        return { kind: "wait" };
      default:
        return unreachable(want.state);
    }
  }

  // Files ready, nothing running.
  switch (want.state) {
    case "pending":
      return { kind: "start", report: windows && seen.firstBootPending ? "initializing" : "running" };
    case "initializing":
      // The guest powered off (or died) during the first boot: collect, then the second boot.
      if (windows && seen.firstBootPending) return { kind: "collect-password" };
      return { kind: "start", report: "running" };
    case "running":
      return { kind: "report", state: "halted", error: "QEMU exited while the instance was running" };
    case "halting":
      return { kind: "report", state: "halted", done: want.requested_action ?? undefined };
    case "halted":
      // A guest generalized for a backup makes a new password at its next boot.
      if (want.requested_action === "poweron")
        return {
          kind: "start",
          report: windows && seen.firstBootPending ? "initializing" : "running",
          done: "poweron",
        };
      return { kind: "wait" };
    case "scheduling":
      return { kind: "wait" };
    default:
      return unreachable(want.state);
  }
}

/**
 * A backup's steps, before the instance's own: with generalize, the VM down
 * first (the instance's own rows: it is halting), up again with
 * sysprep-for-backup, and down again with the flag taken off its drive by
 * its guest; then, halted, written. null: the instance's own rows decide
 * (a running VM of a halted instance is stopped there first). A backup
 * dcmgr says was begun and that no step of this agent holds was begun by an
 * agent since stopped: it failed, and what it left is removed.
 */
function backupAction(want: Wanted, seen: Observed, now: number, t: Timeouts): Action | null {
  const b = want.backup!;
  if (!seen.files)
    return { kind: "fail-backup", error: "it never started on its host: there is no disk to back up" };
  if (b.state === "creating")
    return {
      kind: "fail-backup",
      error: "the host agent stopped while it wrote the backup: ask for it again",
    };
  if (b.generalize && !seen.generalized) {
    if (seen.running && seen.sysprepStartedAt === null) return null;
    if (seen.running) {
      if (now - seen.sysprepStartedAt! > t.firstBootMs)
        return {
          kind: "fail-backup",
          error: `its guest did not generalize itself and power off within ${Math.round(t.firstBootMs / 1000)} s (password_generation_timeout)`,
        };
      return { kind: "wait" };
    }
    if (seen.sysprepStartedAt === null) return { kind: "start-sysprep" };
    // A VM that did not start, crashed or was shut down another way leaves the flag where it was.
    if (!seen.sysprepFlagGone)
      return {
        kind: "fail-backup",
        error:
          "its guest powered off without taking sysprep-for-backup off its drive: it did not generalize itself (its serial.log and the guest's wakame-every-boot.log say why)",
      };
    return { kind: "generalized" };
  }
  if (seen.running) return null;
  if (want.state === "halting") return { kind: "report", state: "halted" };
  if (want.state === "halted") return { kind: "backup" };
  return null;
}

/**
 * A move's steps, before the instance's own. The destination makes all of
 * it at once when asked (preparing); one it does not hold was begun by an
 * agent of this host that stopped: it fails it, and removes what was made.
 * The source sends once the destination is ready; a move it does not hold
 * while copying was begun by an agent that stopped: it undoes it, unless
 * the guest was handed over already (then the destination says how it
 * ended); a cold one it fails (its files are still all here). After a move that failed, a guest handed over is run again here.
 * null: the instance's own rows decide (a source still preparing runs on).
 */
function moveAction(want: Wanted, seen: Observed): Action | null {
  const m = want.move;
  if (!m) return seen.running && seen.movedAway ? { kind: "take-back" } : null;
  if (seen.moveHeld) return { kind: "wait" };
  if (m.role === "destination") {
    if (m.state === "preparing" && !seen.files && !seen.running) return { kind: "receive-move" };
    return { kind: "fail-move", error: "the destination's host agent stopped during the move" };
  }
  if (m.state === "preparing") return null;
  if (m.kind === "cold") {
    if (m.state === "ready") return { kind: "send-move" };
    return {
      kind: "fail-move",
      error: "the source's host agent stopped during the move: its files stay there",
    };
  }
  if (!seen.running) return { kind: "fail-move", error: "its VM no longer runs on its host" };
  if (m.state === "ready") return { kind: "send-move" };
  if (seen.movedAway) return { kind: "wait" };
  return { kind: "abandon-move" };
}

/**
 * When the agent must look at an instance again though nothing else changes:
 * the end of its first boot's time or of its power-off's grace. null: not
 * before dcmgr or its VM tells of a change (the agent's long-poll, QMP).
 */
export function recheckAt(want: Wanted, seen: Observed, t: Timeouts): number | null {
  if (!seen.running) return null;
  if (want.backup?.generalize && seen.sysprepStartedAt !== null)
    return seen.sysprepStartedAt + t.firstBootMs + 1;
  if (want.state === "initializing" && seen.firstBootPending && seen.startedAt !== null)
    return seen.startedAt + t.firstBootMs + 1;
  if (want.state === "halting" && seen.powerdownAskedAt !== null)
    return seen.powerdownAskedAt + t.powerdownMs + 1;
  return null;
}
