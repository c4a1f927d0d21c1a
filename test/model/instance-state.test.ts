// The status the API shows beside each state, one row a state.
import assert from "node:assert/strict";
import { test } from "node:test";
import { instanceStates, instanceStatus } from "../../src/model/instance-state.js";

test("each state's status, and an error over any of them", () => {
  const expected = {
    scheduling: "init",
    pending: "init",
    initializing: "init",
    running: "online",
    halting: "init",
    halted: "offline",
    shuttingdown: "init",
    terminated: "offline",
  } as const;
  assert.deepEqual(Object.keys(expected), [...instanceStates], "every state has a row");
  for (const state of instanceStates) {
    assert.equal(instanceStatus(state, null), expected[state], state);
    assert.equal(instanceStatus(state, "QEMU exited"), "error", `${state} with an error`);
  }
});
