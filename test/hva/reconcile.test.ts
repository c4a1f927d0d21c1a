// The agent's decisions, one row a situation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Action, nextAction, type Observed, type Wanted } from "../../src/hva/reconcile.js";
import type { InstanceState, RequestedAction } from "../../src/model/instance-state.js";

const t = { firstBootMs: 1_800_000, powerdownMs: 60_000 };
const now = 10_000_000;
const want = (
  state: InstanceState,
  requested_action: RequestedAction | null = null,
  os_type = "windows",
  backup: Wanted["backup"] = null,
  move: Wanted["move"] = null,
): Wanted => ({
  state,
  requested_action,
  os_type,
  backup,
  move,
});
/** A move of a running instance, as this host's part in it sees it. */
const moving = (role: "source" | "destination", state: "preparing" | "ready" | "copying") =>
  want("running", null, "windows", null, { role, state, kind: "live" });
/** A move of a halted instance (cold: its files), as this host's part in it sees it. */
const movingCold = (role: "source" | "destination", state: "preparing" | "ready" | "copying") =>
  want("halted", null, "windows", null, { role, state, kind: "cold" });
/** A backup asked of the instance: generalized or not, begun (creating) or not. */
const backingUp = (state: InstanceState, generalize: boolean, begun = false) =>
  want(state, null, "windows", { state: begun ? "creating" : "pending", generalize });
const seen = (o: Partial<Observed> = {}): Observed => ({
  files: true,
  running: false,
  tpmLost: false,
  firstBootPending: false,
  startedAt: null,
  powerdownAskedAt: null,
  sysprepStartedAt: null,
  generalized: false,
  sysprepFlagGone: false,
  moveHeld: false,
  movedAway: false,
  ...o,
});

const rows: [string, Wanted, Observed, Action][] = [
  ["a new instance is prepared", want("pending"), seen({ files: false }), { kind: "prepare" }],
  [
    "prepared Windows starts its first boot",
    want("pending"),
    seen({ firstBootPending: true }),
    { kind: "start", report: "initializing" },
  ],
  [
    "prepared Linux starts and runs",
    want("pending", null, "linux"),
    seen({ firstBootPending: true }),
    { kind: "start", report: "running" },
  ],
  [
    "restarted agent finds its first boot running: reports it",
    want("pending"),
    seen({ running: true, firstBootPending: true, startedAt: now }),
    { kind: "report", state: "initializing" },
  ],
  [
    "first boot under way: wait",
    want("initializing"),
    seen({ running: true, firstBootPending: true, startedAt: now - 60_000 }),
    { kind: "wait" },
  ],
  [
    "first boot past its timeout: stopped, with the reason",
    want("initializing"),
    seen({ running: true, firstBootPending: true, startedAt: now - 1_800_001 }),
    {
      kind: "force-stop",
      report: "halted",
      error: "first boot did not finish within 1800 s (password_generation_timeout)",
    },
  ],
  [
    "guest powered off after its first boot: collect the password",
    want("initializing"),
    seen({ firstBootPending: true }),
    { kind: "collect-password" },
  ],
  [
    "agent killed mid-first-boot, guest off since: collect on restart",
    want("initializing"),
    seen({ firstBootPending: true, running: false }),
    { kind: "collect-password" },
  ],
  [
    "password collected: the second boot",
    want("initializing"),
    seen({ firstBootPending: false }),
    { kind: "start", report: "running" },
  ],
  [
    "second boot running but not reported (agent restarted): report",
    want("initializing"),
    seen({ running: true, firstBootPending: false }),
    { kind: "report", state: "running" },
  ],
  ["running as it should: wait", want("running"), seen({ running: true }), { kind: "wait" }],
  [
    "QEMU died while running: halted with an error",
    want("running"),
    seen({ running: false }),
    { kind: "report", state: "halted", error: "QEMU exited while the instance was running" },
  ],
  ["reboot asked", want("running", "reboot"), seen({ running: true }), { kind: "reset", done: "reboot" }],
  ["poweroff asked: ACPI first", want("halting", "poweroff"), seen({ running: true }), { kind: "powerdown" }],
  [
    "ACPI asked a moment ago: wait",
    want("halting", "poweroff"),
    seen({ running: true, powerdownAskedAt: now - 1000 }),
    { kind: "wait" },
  ],
  [
    "ACPI not honoured in time: forced",
    want("halting", "poweroff"),
    seen({ running: true, powerdownAskedAt: now - 60_001 }),
    { kind: "force-stop", report: "halted", done: "poweroff" },
  ],
  [
    "forced poweroff asked",
    want("halting", "poweroff_force"),
    seen({ running: true, powerdownAskedAt: now }),
    { kind: "force-stop", report: "halted", done: "poweroff_force" },
  ],
  [
    "the guest went off: halted",
    want("halting", "poweroff"),
    seen({ running: false }),
    { kind: "report", state: "halted", done: "poweroff" },
  ],
  [
    "poweron asked",
    want("halted", "poweron"),
    seen({ running: false }),
    { kind: "start", report: "running", done: "poweron" },
  ],
  ["halted stays halted", want("halted"), seen({ running: false }), { kind: "wait" }],
  [
    "halted but running without a poweron: stopped",
    want("halted"),
    seen({ running: true }),
    { kind: "force-stop", report: "halted" },
  ],
  [
    "terminate asked: destroyed, running or not",
    want("shuttingdown", "terminate"),
    seen({ running: true }),
    { kind: "destroy" },
  ],
  [
    "files lost on a running instance: halted with the reason",
    want("running"),
    seen({ files: false }),
    { kind: "report", state: "halted", error: "the instance's files are gone from its host" },
  ],
  [
    "a running VM whose TPM (swtpm) ended is stopped with why: its guest lost its TPM",
    want("running"),
    seen({ running: true, tpmLost: true }),
    {
      kind: "force-stop",
      report: "halted",
      error: "its TPM (swtpm) ended while the VM ran (see swtpm.log in its directory): power it on again",
    },
  ],
  [
    "during a first boot too",
    want("initializing"),
    seen({ running: true, tpmLost: true, firstBootPending: true, startedAt: now }),
    {
      kind: "force-stop",
      report: "halted",
      error: "its TPM (swtpm) ended while the VM ran (see swtpm.log in its directory): power it on again",
    },
  ],
  [
    "a VM powering off with its TPM gone goes on powering off",
    want("halting", "poweroff"),
    seen({ running: true, tpmLost: true, powerdownAskedAt: now - 1000 }),
    { kind: "wait" },
  ],
  [
    "a generalized Windows instance powered on again makes a new password",
    want("halted", "poweron"),
    seen({ firstBootPending: true }),
    { kind: "start", report: "initializing", done: "poweron" },
  ],
  ["a halted instance's backup is written", backingUp("halted", false), seen(), { kind: "backup" }],
  [
    "a backup that dcmgr says was begun, and no step holds, was an agent's that stopped",
    backingUp("halted", false, true),
    seen(),
    { kind: "fail-backup", error: "the host agent stopped while it wrote the backup: ask for it again" },
  ],
  [
    "a running instance to generalize is asked to power off first",
    backingUp("halting", true),
    seen({ running: true, startedAt: now - 5000 }),
    { kind: "powerdown" },
  ],
  [
    "it is forced off when it does not honour the power-off",
    backingUp("halting", true),
    seen({ running: true, powerdownAskedAt: now - 61_000 }),
    { kind: "force-stop", report: "halted", done: undefined },
  ],
  [
    "once down, it starts again with sysprep-for-backup",
    backingUp("halting", true),
    seen({ powerdownAskedAt: now - 1000 }),
    { kind: "start-sysprep" },
  ],
  [
    "a halted instance to generalize starts with sysprep-for-backup",
    backingUp("halted", true),
    seen(),
    { kind: "start-sysprep" },
  ],
  [
    "while its guest generalizes, the agent waits and asks no power-off",
    backingUp("halting", true),
    seen({ running: true, sysprepStartedAt: now - 1000, powerdownAskedAt: null }),
    { kind: "wait" },
  ],
  [
    "a guest that does not generalize in time fails the backup",
    backingUp("halting", true),
    seen({ running: true, sysprepStartedAt: now - 1_800_001 }),
    {
      kind: "fail-backup",
      error: "its guest did not generalize itself and power off within 1800 s (password_generation_timeout)",
    },
  ],
  [
    "its guest took the flag off its drive and powered off: generalized",
    backingUp("halting", true),
    seen({ sysprepStartedAt: now - 1000, sysprepFlagGone: true }),
    { kind: "generalized" },
  ],
  [
    "down with the flag still on its drive (never started, crashed, shut down another way): failed, not generalized",
    backingUp("halting", true),
    seen({ sysprepStartedAt: now - 1000 }),
    {
      kind: "fail-backup",
      error:
        "its guest powered off without taking sysprep-for-backup off its drive: it did not generalize itself (its serial.log and the guest's wakame-every-boot.log say why)",
    },
  ],
  [
    "a disk generalized by an earlier backup (not booted since) is not generalized again",
    backingUp("halted", true),
    seen({ generalized: true }),
    { kind: "backup" },
  ],
  [
    "an instance that never started on its host has no disk: the backup fails",
    backingUp("halted", false),
    seen({ files: false }),
    { kind: "fail-backup", error: "it never started on its host: there is no disk to back up" },
  ],
  [
    "generalized, it is reported halted",
    backingUp("halting", true),
    seen({ sysprepStartedAt: now - 1000, generalized: true }),
    { kind: "report", state: "halted" },
  ],
  [
    "generalized and halted, it is written",
    backingUp("halted", true),
    seen({ generalized: true, firstBootPending: true }),
    { kind: "backup" },
  ],
  [
    "a halted instance whose VM runs is stopped before its backup",
    backingUp("halted", false),
    seen({ running: true }),
    { kind: "force-stop", report: "halted" },
  ],
  // Moves: the destination makes it all at once; the source sends once it is ready.
  [
    "destination asked: it receives",
    moving("destination", "preparing"),
    seen({ files: false }),
    { kind: "receive-move" },
  ],
  [
    "destination receiving: it waits for the move",
    moving("destination", "ready"),
    seen({ running: true, moveHeld: true }),
    { kind: "wait" },
  ],
  [
    "destination whose agent restarted while preparing: what it made goes, the move fails",
    moving("destination", "preparing"),
    seen({ files: true }),
    { kind: "fail-move", error: "the destination's host agent stopped during the move" },
  ],
  [
    "destination whose agent restarted while the source copies",
    moving("destination", "copying"),
    seen({ running: true }),
    { kind: "fail-move", error: "the destination's host agent stopped during the move" },
  ],
  [
    "source while the destination prepares: it runs on",
    moving("source", "preparing"),
    seen({ running: true }),
    { kind: "wait" },
  ],
  [
    "source once the destination is ready: it sends",
    moving("source", "ready"),
    seen({ running: true }),
    { kind: "send-move" },
  ],
  [
    "source sending: it waits",
    moving("source", "copying"),
    seen({ running: true, moveHeld: true }),
    { kind: "wait" },
  ],
  [
    "source whose agent restarted while it copied: undone here, failed",
    moving("source", "copying"),
    seen({ running: true }),
    { kind: "abandon-move" },
  ],
  [
    "source whose agent restarted after handing the guest over: the destination says how it ends",
    moving("source", "copying"),
    seen({ running: true, movedAway: true }),
    { kind: "wait" },
  ],
  [
    "source whose VM ended before it could send",
    moving("source", "ready"),
    seen({ running: false }),
    { kind: "fail-move", error: "its VM no longer runs on its host" },
  ],
  // Cold moves: the files instead of a VM.
  [
    "cold destination asked: it receives",
    movingCold("destination", "preparing"),
    seen({ files: false }),
    { kind: "receive-move" },
  ],
  [
    "cold destination receiving: it waits",
    movingCold("destination", "ready"),
    seen({ moveHeld: true }),
    { kind: "wait" },
  ],
  [
    "cold destination whose agent restarted while the files came",
    movingCold("destination", "copying"),
    seen(),
    { kind: "fail-move", error: "the destination's host agent stopped during the move" },
  ],
  [
    "cold source while the destination prepares: halted, it waits",
    movingCold("source", "preparing"),
    seen(),
    { kind: "wait" },
  ],
  [
    "cold source once the destination is ready: it sends",
    movingCold("source", "ready"),
    seen(),
    { kind: "send-move" },
  ],
  [
    "cold source sending: it waits",
    movingCold("source", "copying"),
    seen({ moveHeld: true }),
    { kind: "wait" },
  ],
  [
    "cold source whose agent restarted while it sent: failed, its files all still here",
    movingCold("source", "copying"),
    seen(),
    {
      kind: "fail-move",
      error: "the source's host agent stopped during the move: its files stay there",
    },
  ],
  [
    "a move that failed after the guest was handed over: it runs again here",
    want("running"),
    seen({ running: true, movedAway: true }),
    { kind: "take-back" },
  ],
];

for (const [name, w, s, expected] of rows) {
  test(name, () => assert.deepEqual(nextAction(w, s, now, t), expected));
}
