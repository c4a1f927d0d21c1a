// Which new events a live feed hands out: in order, waiting a moment at a gap in the ids.
import assert from "node:assert/strict";
import { test } from "node:test";
import { advance } from "../../src/model/event-order.js";

const grace = 2000;

test("event order: contiguous ids all go, a gap holds the feed until the grace has passed", () => {
  const cases: [
    string,
    { last: number; gapSince: number | null },
    number[],
    number,
    { last: number; gapSince: number | null },
  ][] = [
    ["contiguous", { last: 4, gapSince: null }, [5, 6, 7], 1000, { last: 7, gapSince: null }],
    ["nothing new", { last: 4, gapSince: null }, [], 1000, { last: 4, gapSince: null }],
    [
      "a gap: stop before it, note when",
      { last: 4, gapSince: null },
      [5, 7, 8],
      1000,
      { last: 5, gapSince: 1000 },
    ],
    ["the gap filled meanwhile", { last: 5, gapSince: 1000 }, [6, 7, 8], 1500, { last: 8, gapSince: null }],
    ["still inside the grace", { last: 5, gapSince: 1000 }, [7, 8], 2999, { last: 5, gapSince: 1000 }],
    [
      "the grace has passed: go on past it",
      { last: 5, gapSince: 1000 },
      [7, 8],
      3000,
      { last: 8, gapSince: null },
    ],
    [
      "a second gap after a passed one starts its own wait",
      { last: 5, gapSince: 1000 },
      [7, 9],
      3000,
      { last: 7, gapSince: 3000 },
    ],
  ];
  for (const [name, cursor, ids, now, want] of cases)
    assert.deepEqual(advance(cursor, ids, now, grace), want, name);
});
