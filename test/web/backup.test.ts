// The Create image dialog's decisions and how backups read on the pages:
// when the action is offered and what holds the button back (dcmgr's own
// rule, in its words), the request the form makes, the fields API errors
// name, an instance's backup note, an image's state and generalization, and
// when the Images page polls.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Image, Instance, InstanceBackup } from "../../web/src/api/types.js";
import {
  anyImageCreating,
  backupNote,
  generalizedWords,
  imageStateWords,
} from "../../web/src/backup/backup-progress.js";
import {
  type BackupForm,
  backupBlocker,
  backupFieldNamed,
  backupOffered,
  backupRequest,
  emptyBackupForm,
  textProblem,
} from "../../web/src/backup/backup-rules.js";

const backup = (state: InstanceBackup["state"], extra: Partial<InstanceBackup> = {}): InstanceBackup => ({
  backup_object_id: "bo-new",
  image_id: "wmi-new",
  state,
  progress: state === "pending" || state === "creating" ? 0 : null,
  error: null,
  ...extra,
});
const instance = (state: Instance["state"], os_type = "windows", b: InstanceBackup | null = null) =>
  ({ id: "i-x", state, os_type, backup: b }) as Instance;
const form = (change: Partial<BackupForm> = {}): BackupForm => ({ ...emptyBackupForm, ...change });

test("Create image is offered where some choice would be taken: halted; running Windows, generalized", () => {
  const cases: [string, Instance, boolean][] = [
    ["windows halted", instance("halted"), true],
    ["windows running (generalized)", instance("running"), true],
    ["linux halted", instance("halted", "linux"), true],
    ["linux running: only halted, and linux is not generalized", instance("running", "linux"), false],
    ["windows initializing", instance("initializing"), false],
    ["windows halting", instance("halting"), false],
    ["terminated", instance("terminated"), false],
    ["a backup under way", instance("halted", "windows", backup("creating", { progress: 40 })), false],
    ["a backup pending", instance("halted", "windows", backup("pending")), false],
    ["the last backup failed", instance("halted", "windows", backup("failed", { error: "disk full" })), true],
    ["the last backup is available", instance("halted", "windows", backup("available")), true],
  ];
  for (const [name, i, want] of cases) assert.equal(backupOffered(i), want, name);
});

test("the Create button's blocker: dcmgr's refusal in its words, then the name and description as typed", () => {
  const cases: [string, Instance, BackupForm, string | RegExp | null][] = [
    ["halted, as it is", instance("halted"), form(), null],
    ["halted, generalized", instance("halted"), form({ generalize: true }), null],
    ["running, generalized", instance("running"), form({ generalize: true }), null],
    [
      "running, not generalized",
      instance("running"),
      form(),
      "i-x is running: a backup needs it halted: power it off first, or ask generalize=true to have its guest sysprep'd and powered off",
    ],
    [
      "the instance went halting while the dialog was open",
      instance("halting"),
      form({ generalize: true }),
      "i-x is halting: generalize=true needs it running or halted",
    ],
    [
      "terminated meanwhile",
      instance("terminated"),
      form(),
      "i-x is terminated: nothing is left of it to back up",
    ],
    [
      "a backup began meanwhile",
      instance("halted", "windows", backup("pending")),
      form(),
      "i-x is being backed up already (bo-new): wait until its image is available or failed",
    ],
    // The dialog shows no generalize box for linux: a value left over is not sent, and not refused.
    ["linux halted, generalize left ticked", instance("halted", "linux"), form({ generalize: true }), null],
    ["a name of 255", instance("halted"), form({ display_name: "n".repeat(255) }), null],
    [
      "a name of 256",
      instance("halted"),
      form({ display_name: "n".repeat(256) }),
      "name is 256 characters long; at most 255 are allowed",
    ],
    [
      "a tab in the description",
      instance("halted"),
      form({ description: "a\tb" }),
      /^description holds the control character .*: give text on one line without control characters$/,
    ],
    ["a description of 4096", instance("halted"), form({ description: "d".repeat(4096) }), null],
    [
      "the instance's state comes before the text",
      instance("running"),
      form({ display_name: "n".repeat(256) }),
      /^i-x is running/,
    ],
  ];
  for (const [name, i, f, want] of cases) {
    const got = backupBlocker(i, f);
    if (want === null || typeof want === "string") assert.equal(got, want, name);
    else assert.match(got ?? "", want, name);
  }
  assert.equal(textProblem("display_name", ""), null, "empty: dcmgr names it");
});

test("the request: empty text left out, cached only once chosen, generalize for Windows only", () => {
  const cases: [string, BackupForm, boolean, ReturnType<typeof backupRequest>][] = [
    ["defaults", form(), true, { is_public: false, generalize: false }],
    ["defaults, linux", form(), false, { is_public: false }],
    [
      "everything",
      form({
        display_name: "web",
        description: "after updates",
        is_public: true,
        is_cacheable: false,
        generalize: true,
      }),
      true,
      {
        display_name: "web",
        description: "after updates",
        is_public: true,
        is_cacheable: false,
        generalize: true,
      },
    ],
    [
      "linux, generalize left ticked",
      form({ generalize: true, is_cacheable: true }),
      false,
      {
        is_public: false,
        is_cacheable: true,
      },
    ],
  ];
  for (const [name, f, windows, want] of cases) assert.deepEqual(backupRequest(f, windows), want, name);
});

test("an API error's field: the dialog's own, else none (shown below the fields)", () => {
  assert.equal(backupFieldNamed("generalize"), "generalize");
  assert.equal(backupFieldNamed("display_name"), "display_name");
  assert.equal(backupFieldNamed("all"), null);
  assert.equal(backupFieldNamed("toString"), null);
  assert.equal(backupFieldNamed(undefined), null);
});

test("an instance's backup note: progress while under way, the error when it failed", () => {
  const cases: [string, InstanceBackup | null, boolean, ReturnType<typeof backupNote>][] = [
    ["never backed up", null, false, null],
    [
      "pending on a halted instance",
      backup("pending"),
      false,
      { text: "Creating image wmi-new … 0% (its host has not begun)", kind: "under-way", percent: 0 },
    ],
    [
      "pending while the guest generalizes",
      backup("pending"),
      true,
      {
        text: "Creating image wmi-new … 0% (the guest generalizes and shuts down first)",
        kind: "under-way",
        percent: 0,
      },
    ],
    [
      "creating",
      backup("creating", { progress: 42 }),
      false,
      { text: "Creating image wmi-new … 42%", kind: "under-way", percent: 42 },
    ],
    [
      "creating, no progress yet",
      backup("creating", { progress: null }),
      false,
      { text: "Creating image wmi-new … 0%", kind: "under-way", percent: 0 },
    ],
    [
      "available",
      backup("available"),
      false,
      { text: "Image wmi-new made from it is available", kind: "available", percent: null },
    ],
    [
      "failed",
      backup("failed", { error: "qemu-img convert: No space left on device" }),
      false,
      {
        text: "Creating image wmi-new failed: qemu-img convert: No space left on device",
        kind: "failed",
        percent: null,
      },
    ],
    [
      "failed without a reason",
      backup("failed"),
      false,
      { text: "Creating image wmi-new failed: the host agent gave no reason", kind: "failed", percent: null },
    ],
  ];
  for (const [name, b, halting, want] of cases) assert.deepEqual(backupNote(b, halting), want, name);
});

test("images: state with progress, generalized or as it was, and polling only while one is creating", () => {
  const img = (i: Partial<Image>) => ({ state: "available", progress: null, ...i }) as Image;
  assert.equal(imageStateWords(img({ state: "creating", progress: 65 })), "creating 65%");
  assert.equal(imageStateWords(img({ state: "creating", progress: null })), "creating 0%");
  assert.equal(imageStateWords(img({ state: "available" })), "available");
  assert.equal(imageStateWords(img({ state: "failed" })), "failed");

  const words: [boolean, string, string][] = [
    [true, "windows", "yes: a new password at first boot"],
    [false, "windows", "no: as it was (keeps its password)"],
    [true, "linux", "yes"],
    [false, "linux", "no: as it was"],
  ];
  for (const [generalized, os_type, want] of words)
    assert.equal(generalizedWords({ generalized, os_type }), want, `${os_type} ${generalized}`);

  assert.equal(anyImageCreating(null), false, "not read yet");
  assert.equal(anyImageCreating([img({}), img({ state: "failed" })]), false);
  assert.equal(anyImageCreating([img({}), img({ state: "creating", progress: 3 })]), true);
});
