// When an instance may move, and how: one row a case.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type MoveAsk,
  type MoveKind,
  type MoveReport,
  type MoveRole,
  type MoveState,
  moveRefusal,
  moveReportOf,
  moveReportRefusal,
  moveStateAfter,
} from "../../src/model/move.js";
import type { PortForward } from "../../src/model/port-forward.js";

const ask = (o: Partial<MoveAsk>): MoveAsk => ({
  instanceId: "i-abc",
  state: "running",
  hostNodeId: "hn-a",
  destination: null,
  requestedAction: null,
  backupUnderWay: null,
  movingTo: null,
  ...o,
});

const rows: [string, Partial<MoveAsk>, ReturnType<typeof moveRefusal>][] = [
  ["running: live, the scheduler chooses", {}, { kind: "live" }],
  ["running, to a host named: live", { destination: "hn-b" }, { kind: "live" }],
  ["halted: cold, its files copied", { state: "halted" }, { kind: "cold" }],
  [
    "to the host it is on",
    { destination: "hn-a" },
    {
      problem: "i-abc is on hn-a already: name another host, or none to let the scheduler choose",
      field: "host_node_id",
      conflict: false,
    },
  ],
  [
    "moving already",
    { movingTo: "hn-b" },
    { problem: "i-abc is moving to hn-b already: wait until it has arrived", conflict: true },
  ],
  [
    "a power action under way",
    { requestedAction: "poweroff" },
    { problem: "i-abc has a poweroff under way: ask for the move once it is done", conflict: true },
  ],
  [
    "a backup under way",
    { backupUnderWay: "bo-x" },
    {
      problem: "i-abc is being backed up (bo-x): move it once its image is available or failed",
      conflict: true,
    },
  ],
  [
    "starting",
    { state: "initializing" },
    {
      problem:
        "i-abc is initializing: only a running or halted instance moves: wait until it is one or the other",
      conflict: true,
    },
  ],
  [
    "terminated",
    { state: "terminated" },
    { problem: "i-abc is terminated: nothing is left of it to move", conflict: true },
  ],
];

for (const [name, o, expected] of rows)
  test(`move: ${name}`, () => assert.deepEqual(moveRefusal(ask(o)), expected));

const reports: [string, MoveState, MoveKind, MoveRole, MoveReport, string | null][] = [
  [
    "the destination listens",
    "preparing",
    "live",
    "destination",
    { state: "ready", address: "10.0.0.2", port: 4000 },
    null,
  ],
  [
    "the source cannot say the destination listens",
    "preparing",
    "live",
    "source",
    { state: "ready", address: "10.0.0.2", port: 4000 },
    "only the destination says a move is ready",
  ],
  ["the source copies", "ready", "live", "source", { state: "copying", progress: 10 }, null],
  ["the source copies on", "copying", "live", "source", { state: "copying", progress: 50 }, null],
  [
    "copying before the destination listens",
    "preparing",
    "live",
    "source",
    { state: "copying", progress: 1 },
    "a preparing live move cannot become copying",
  ],
  ["the source asks to hand the guest over", "copying", "live", "source", { state: "switching" }, null],
  [
    "only the source asks to hand over",
    "copying",
    "live",
    "destination",
    { state: "switching" },
    "only the source says a move is switching",
  ],
  [
    "a cold move has no hand-over",
    "copying",
    "cold",
    "source",
    { state: "switching" },
    "a copying cold move cannot become switching",
  ],
  [
    "a progress report after the leave (they cross)",
    "switching",
    "live",
    "source",
    { state: "copying", progress: 97 },
    null,
  ],
  [
    "the guest runs at the destination, handed over",
    "switching",
    "live",
    "destination",
    { state: "done" },
    null,
  ],
  [
    "a live guest never runs at the destination without the leave",
    "copying",
    "live",
    "destination",
    { state: "done" },
    "a copying live move cannot become done",
  ],
  ["a cold move's files in place", "copying", "cold", "destination", { state: "done" }, null],
  [
    "done before the source said it copies (a fast cold move)",
    "ready",
    "cold",
    "destination",
    { state: "done" },
    null,
  ],
  [
    "the source cannot say it is done",
    "switching",
    "live",
    "source",
    { state: "done" },
    "only the destination says a move is done",
  ],
  ["either side fails it: the source", "copying", "live", "source", { state: "failed", error: "x" }, null],
  [
    "either side fails it: the destination",
    "preparing",
    "live",
    "destination",
    { state: "failed", error: "x" },
    null,
  ],
  [
    "even once handed over (the destination never ran it)",
    "switching",
    "live",
    "destination",
    { state: "failed", error: "x" },
    null,
  ],
  [
    "ended: done",
    "done",
    "live",
    "destination",
    { state: "failed", error: "x" },
    "the move is done already: it takes no more reports",
  ],
  [
    "ended: failed",
    "failed",
    "live",
    "source",
    { state: "copying", progress: 3 },
    "the move is failed already: it takes no more reports",
  ],
];

for (const [name, current, kind, role, report, expected] of reports)
  test(`move report: ${name}`, () => assert.equal(moveReportRefusal(current, kind, role, report), expected));

test("a move's state once it took a report: a late progress report leaves a granted hand-over as it is", () => {
  const cases: [MoveState, MoveReport, MoveState][] = [
    ["ready", { state: "copying", progress: 1 }, "copying"],
    ["copying", { state: "switching" }, "switching"],
    ["switching", { state: "copying", progress: 98 }, "switching"],
    ["switching", { state: "done" }, "done"],
    ["switching", { state: "failed", error: "x" }, "failed"],
  ];
  for (const [current, r, after] of cases) assert.equal(moveStateAfter(current, r), after, JSON.stringify(r));
});

test("a report made whole from the API's body: what each state needs, or what is missing", () => {
  const forwards: PortForward[][] = [
    [{ protocol: "tcp", guest_port: 3389, host_address: "127.0.0.1", host_port: 40001 }],
  ];
  const rows: [Parameters<typeof moveReportOf>[0], ReturnType<typeof moveReportOf>][] = [
    [
      { state: "ready", address: "192.0.2.1", port: 1 },
      { state: "ready", address: "192.0.2.1", port: 1 },
    ],
    [{ state: "ready", port: 1 }, { missing: "address" }],
    [{ state: "copying" }, { missing: "progress" }],
    [{ state: "switching" }, { state: "switching" }],
    [{ state: "done" }, { state: "done" }],
    [
      { state: "done", port_forwards: forwards },
      { state: "done", port_forwards: forwards },
    ],
    [{ state: "failed" }, { missing: "error" }],
  ];
  for (const [body, expected] of rows) assert.deepEqual(moveReportOf(body), expected, JSON.stringify(body));
});
