// How far a live move is: one row a case.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bytesSent,
  type MigrationFigures,
  type MirrorFigures,
  migrationIsOver,
  moveProgress,
  StallWatch,
} from "../../src/model/move-progress.js";

const GiB = 1 << 30;
const ram = (total: number, remaining: number, transferred = total - remaining): MigrationFigures => ({
  status: "active",
  ram: { total, remaining, transferred },
});

const rows: [string, MirrorFigures[], MigrationFigures | null, number][] = [
  ["nothing known yet", [], null, 0],
  ["the disk half copied, migration not begun", [{ offset: GiB, len: 2 * GiB }], null, 50],
  [
    "the disk copied, migration not begun: never 100 before the destination runs",
    [{ offset: GiB, len: GiB }],
    null,
    99,
  ],
  [
    "the disk (2 GiB) copied, RAM (1 GiB) half sent: bytes weigh",
    [{ offset: 2 * GiB, len: 2 * GiB }],
    ram(GiB, GiB / 2),
    83,
  ],
  ["RAM sent twice over (dirtied pages) counts by what remains", [], ram(GiB, GiB / 4, 3 * GiB), 75],
  [
    "a mirror's offset beyond its length (the guest grew the dirty set) is capped",
    [{ offset: 3, len: 2 }],
    null,
    99,
  ],
  [
    "two disks",
    [
      { offset: 0, len: GiB },
      { offset: GiB, len: GiB },
    ],
    null,
    50,
  ],
  ["migration set up, no RAM figures yet", [{ offset: 0, len: GiB }], { status: "setup" }, 0],
];

for (const [name, mirrors, migration, expected] of rows)
  test(`move progress: ${name}`, () => assert.equal(moveProgress(mirrors, migration), expected));

test("the migration states that end a move", () => {
  for (const s of ["completed", "failed", "cancelled"]) assert.equal(migrationIsOver(s), true, s);
  for (const s of ["none", "setup", "active", "pre-switchover", "device", "postcopy-active", "cancelling"])
    assert.equal(migrationIsOver(s), false, s);
});

test("bytes sent: the mirrors' offsets and the RAM sent (pages sent again count again: they went again)", () => {
  assert.equal(bytesSent([{ offset: 5, len: 10 }], null), 5);
  assert.equal(
    bytesSent(
      [
        { offset: 5, len: 10 },
        { offset: 1, len: 1 },
      ],
      ram(100, 20, 300),
    ),
    306,
  );
});

test("a copy stalls once its bytes have not grown for the stall's time; any growth starts it again", () => {
  const w = new StallWatch(1000, 0);
  const steps: [number, number, boolean][] = [
    [0, 0, false],
    [500, 0, false],
    [999, 0, false],
    [1000, 0, true],
    [1100, 10, false],
    [2000, 10, false],
    [2099, 9, false],
    [2100, 10, true],
  ];
  for (const [now, sent, stalled] of steps)
    assert.equal(w.stalled(sent, now), stalled, `at ${now} ms, ${sent} sent`);
});
