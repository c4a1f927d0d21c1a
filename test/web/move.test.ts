// The Move dialog's decisions and how a move reads on the pages: when Move
// is offered and what holds the button back (dcmgr's own rule, in its
// words), the hosts offered, the request, and an instance's move note.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostNode, Instance, InstanceBackup, InstanceMove } from "../../web/src/api/types.js";
import {
  destinationsFor,
  moveBlocker,
  moveNote,
  moveOffered,
  moveRequest,
} from "../../web/src/move/move-rules.js";

const move = (state: InstanceMove["state"], extra: Partial<InstanceMove> = {}): InstanceMove => ({
  move_id: "mv-1",
  kind: "live",
  state,
  progress: 0,
  error: null,
  destination_host_node_id: "hn-b",
  ...extra,
});
const creating: InstanceBackup = {
  backup_object_id: "bo-new",
  image_id: "wmi-new",
  state: "creating",
  progress: 10,
  error: null,
};
const instance = (state: Instance["state"], extra: Partial<Instance> = {}) =>
  ({ id: "i-x", state, host_node: "hn-a", backup: null, move: null, ...extra }) as Instance;

test("Move is offered for a running instance not moving nor backed up; the button's reason is dcmgr's", () => {
  const cases: [string, Instance, string | null][] = [
    ["running", instance("running"), null],
    ["running, moved before", instance("running", { move: move("done") }), null],
    ["running, a move failed before", instance("running", { move: move("failed") }), null],
    [
      "moving",
      instance("running", { move: move("copying") }),
      "i-x is moving to hn-b already: wait until it has arrived",
    ],
    [
      "backed up",
      instance("running", { backup: creating }),
      "i-x is being backed up (bo-new): move it once its image is available or failed",
    ],
    ["halted (cold)", instance("halted"), null],
    [
      "initializing",
      instance("initializing"),
      "i-x is initializing: only a running or halted instance moves: wait until it is one or the other",
    ],
  ];
  for (const [name, i, reason] of cases) {
    assert.equal(moveBlocker(i, null), reason, name);
    assert.equal(moveOffered(i), reason === null, name);
  }
  assert.equal(
    moveBlocker(instance("running"), "hn-a"),
    "i-x is on hn-a already: name another host, or none to let the scheduler choose",
  );
});

test("the dialog offers the other hosts taking instances; the request names one or leaves it to the scheduler", () => {
  const host = (id: string, scheduling_enabled: boolean) => ({ id, scheduling_enabled }) as HostNode;
  const offered = destinationsFor(instance("running"), [
    host("hn-a", true),
    host("hn-b", true),
    host("hn-c", false),
    host("hn-d", true),
  ]);
  assert.deepEqual(
    offered.map((h) => h.id),
    ["hn-b", "hn-d"],
  );
  assert.deepEqual(moveRequest(null), {});
  assert.deepEqual(moveRequest("hn-b"), { host_node_id: "hn-b" });
});

test("a move's note: its progress while under way, its error when it failed, where it went", () => {
  assert.equal(moveNote(null), null);
  assert.deepEqual(moveNote(move("preparing")), {
    text: "Moving to hn-b … 0% (its destination prepares)",
    kind: "under-way",
    percent: 0,
  });
  assert.deepEqual(moveNote(move("copying", { progress: 42 })), {
    text: "Moving to hn-b … 42%",
    kind: "under-way",
    percent: 42,
  });
  assert.deepEqual(moveNote(move("ready")), {
    text: "Moving to hn-b … 0% (its copy begins)",
    kind: "under-way",
    percent: 0,
  });
  assert.deepEqual(moveNote(move("switching", { progress: 99 })), {
    text: "Moving to hn-b … 99% (it switches over)",
    kind: "under-way",
    percent: 99,
  });
  assert.deepEqual(moveNote(move("failed", { error: "the link broke" })), {
    text: "Moving to hn-b failed: the link broke; it runs where it was",
    kind: "failed",
    percent: null,
  });
  assert.deepEqual(moveNote(move("done", { progress: 100 })), {
    text: "Moved to hn-b",
    kind: "done",
    percent: null,
  });
});
