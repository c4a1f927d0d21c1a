// When a backup may be asked, and how far along one is: one row a case.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type BackupAsk, backupProgress, backupRefusal, stateOnBackup } from "../../src/model/backup.js";

const ask = (o: Partial<BackupAsk>): BackupAsk => ({
  instanceId: "i-abc",
  state: "halted",
  osType: "windows",
  generalize: false,
  underWay: null,
  requestedAction: null,
  isPublic: false,
  ...o,
});

const refusals: [string, Partial<BackupAsk>, ReturnType<typeof backupRefusal>][] = [
  ["halted: taken", {}, null],
  ["halted, generalized: taken (its guest is started to sysprep)", { generalize: true }, null],
  ["running, generalized: taken", { state: "running", generalize: true }, null],
  [
    "running Windows without generalize: halt it, or generalize",
    { state: "running" },
    {
      problem:
        "i-abc is running: a backup needs it halted: power it off first, or ask generalize=true to have its guest sysprep'd and powered off",
      conflict: true,
    },
  ],
  [
    "running Linux: halt it (generalize is no way out)",
    { state: "running", osType: "linux" },
    { problem: "i-abc is running: a backup needs it halted: power it off first", conflict: true },
  ],
  [
    "terminated: nothing left",
    { state: "terminated", generalize: true },
    { problem: "i-abc is terminated: nothing is left of it to back up", conflict: true },
  ],
  [
    "initializing, generalized: not yet",
    { state: "initializing", generalize: true },
    { problem: "i-abc is initializing: generalize=true needs it running or halted", conflict: true },
  ],
  [
    "Linux generalized: the field is wrong",
    { osType: "linux", generalize: true },
    {
      problem:
        "i-abc is not a Windows instance: only Windows is generalized (sysprep); back it up halted, without generalize",
      field: "generalize",
      conflict: false,
    },
  ],
  [
    "public without generalizing: its password would be every launcher's",
    { isPublic: true },
    {
      problem:
        "an image backed up without generalizing keeps its source's Administrator password: only a generalized one (generalize=true) can be public",
      field: "is_public",
      conflict: false,
    },
  ],
  ["public and generalized: taken", { isPublic: true, generalize: true }, null],
  [
    "a power-on under way: after it",
    { requestedAction: "poweron" },
    { problem: "i-abc has a poweron under way: ask for the backup once it is done", conflict: true },
  ],
  [
    "one under way: wait for it",
    { underWay: "bo-123" },
    {
      problem: "i-abc is being backed up already (bo-123): wait until its image is available or failed",
      conflict: true,
    },
  ],
];
for (const [name, o, expected] of refusals)
  test(name, () => assert.deepEqual(backupRefusal(ask(o)), expected));

test("a running instance goes halting at once; others stay as they are", () => {
  assert.equal(stateOnBackup("running"), "halting");
  assert.equal(stateOnBackup("halted"), "halted");
});

test("progress: each phase its share of 100, whole percents, never past its end", () => {
  assert.equal(backupProgress("pack", 1, 2), 45);
  assert.equal(backupProgress("pack", 3, 2), 90);
  assert.equal(backupProgress("upload", 0, 0), 100);
  assert.equal(backupProgress("upload", 1, 3), 93);
  // A disk flattened first: the copy takes the first 40.
  assert.equal(backupProgress("flatten", 0, 100, true), 0);
  assert.equal(backupProgress("flatten", 50, 100, true), 20);
  assert.equal(backupProgress("pack", 1, 2, true), 65);
  assert.equal(backupProgress("upload", 1, 3, true), 93);
});
