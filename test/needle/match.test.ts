// The matcher, table by table, on made pictures: what os-autoinst would say
// (in place, noise, a shift within and beyond the margin, a clock in an
// exclude area) and what only the colour-aware mode sees.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cloneImage, crop, fillRect, type Image } from "../../src/image/image.js";
import { bestMatch, type LoadedNeedle, matchNeedle, mseFor, similarityOf } from "../../src/needle/match.js";
import { type NeedleArea, parseNeedle } from "../../src/needle/needle.js";
import { decorate, greenAndGreyMarks, screenFrame, shifted, withNoise } from "../helpers/pictures.js";

const frame = screenFrame(1024, 768, 3);
const area = { x: 300, y: 200, width: 160, height: 60 };
const second = { x: 600, y: 500, width: 80, height: 40 };
decorate(frame, area);
decorate(frame, second, 12);
/** The area and a few pixels around it: what moves when a window moves. */
const around = { x: area.x - 4, y: area.y - 4, width: area.width + 8, height: area.height + 8 };

function needleOf(image: Image, areas: Partial<NeedleArea & { type: string }>[], name = "n"): LoadedNeedle {
  const json = {
    tags: ["t"],
    area: areas.map((a) => ({
      xpos: a.x,
      ypos: a.y,
      width: a.width,
      height: a.height,
      type: a.type,
      match: a.match,
      margin: a.margin,
    })),
  };
  return { ...parseNeedle(json, name), image };
}

test("os-autoinst's similarity scale: mse 2 is 1, mse 40 is .9, 96% is an mse of 17.2", () => {
  assert.equal(similarityOf(2), 1);
  assert.equal(similarityOf(40), 0.9);
  assert.equal(similarityOf(10_000), 0);
  assert.ok(Math.abs(mseFor(0.96) - 17.2) < 1e-9);
});

test("a screen that holds the needle in place matches with similarity 1 where it was", () => {
  const r = matchNeedle(frame, needleOf(frame, [area]));
  assert.equal(r.ok, true);
  assert.deepEqual([r.areas[0]!.x, r.areas[0]!.y, r.areas[0]!.similarity], [300, 200, 1]);
});

test("noise: light noise still matches, heavy noise does not", () => {
  const needle = needleOf(frame, [area]);
  const light = matchNeedle(withNoise(frame, 12), needle).areas[0]!;
  assert.ok(light.ok && light.similarity! > 0.96 && light.similarity! < 1, String(light.similarity));
  const heavy = matchNeedle(withNoise(frame, 60), needle).areas[0]!;
  assert.equal(heavy.ok, false, String(heavy.similarity));
});

test("a shift within the margin is found at its new place; beyond the margin it is not", () => {
  const needle = needleOf(frame, [area]);
  const within = matchNeedle(shifted(frame, around, 37, -21, [250, 250, 250]), needle).areas[0]!;
  assert.deepEqual([within.x, within.y, within.ok], [337, 179, true]);
  assert.equal(within.similarity, 1);
  const beyond = matchNeedle(shifted(frame, around, 80, 0, [250, 250, 250]), needle).areas[0]!;
  assert.equal(beyond.ok, false);
  const wide = needleOf(frame, [{ ...area, margin: 100 }]);
  assert.equal(matchNeedle(shifted(frame, around, 80, 0, [250, 250, 250]), wide).areas[0]!.x, 380);
});

test("a changed clock inside an exclude area does not matter; outside one it does", () => {
  const clock = { x: 400, y: 215, width: 50, height: 20 };
  const later = cloneImage(frame);
  fillRect(later, clock, [0, 0, 0]);
  fillRect(later, { x: 405, y: 220, width: 30, height: 10 }, [255, 255, 255]);
  assert.equal(matchNeedle(later, needleOf(frame, [area])).ok, false);
  const excluded = needleOf(frame, [area, { ...clock, type: "exclude" }]);
  const r = matchNeedle(later, excluded);
  assert.equal(r.ok, true);
  assert.equal(r.areas[0]!.similarity, 1);
});

test("a green mark and a grey one of the same brightness: equal in grey, told apart in colour", () => {
  const { green, grey } = greenAndGreyMarks(frame, { x: 320, y: 210, width: 40, height: 30 });
  const selected = needleOf(green, [area]);
  assert.equal(matchNeedle(grey, selected).ok, true, "os-autoinst's grey matching cannot tell them apart");
  const coloured = matchNeedle(grey, selected, { colour: true });
  assert.equal(coloured.ok, false);
  assert.ok(coloured.areas[0]!.similarity! < 0.5);
  assert.equal(matchNeedle(green, selected, { colour: true }).ok, true);
});

test("a yes-or-no search agrees with the exact one and gives no score below the threshold", () => {
  const needle = needleOf(frame, [area]);
  for (const screen of [frame, withNoise(frame, 12), shifted(frame, around, 10, 10, [0, 0, 0])]) {
    const exact = matchNeedle(screen, needle);
    const quick = matchNeedle(screen, needle, { exact: false });
    assert.equal(quick.ok, exact.ok);
    assert.deepEqual(quick.areas, exact.areas);
  }
  const other = screenFrame(1024, 768, 99);
  const quick = matchNeedle(other, needle, { exact: false }).areas[0]!;
  assert.deepEqual([quick.ok, quick.similarity], [false, undefined]);
  assert.ok(matchNeedle(other, needle).areas[0]!.similarity! < 0.96);
});

test("every area must match; a per-area match level is honoured", () => {
  const changed = cloneImage(frame);
  fillRect(changed, second, [255, 0, 0]);
  assert.equal(matchNeedle(changed, needleOf(frame, [area, second])).ok, false);
  const r = matchNeedle(withNoise(frame, 12), needleOf(frame, [{ ...area, match: 99.9 }]));
  assert.equal(r.ok, false);
  assert.ok(r.areas[0]!.similarity! > 0.96);
});

test("a needle of another screen size: its place scales, as in os-autoinst", () => {
  const needleImage = crop(frame, { x: 0, y: 0, width: 800, height: 600 });
  const big = screenFrame(1600, 1200, 5);
  // Put the needle's area where it scales to (x2) on the big screen.
  const part = crop(needleImage, around);
  for (let y = 0; y < part.height; y++)
    big.data.set(
      part.data.subarray(y * part.width * 4, (y + 1) * part.width * 4),
      ((396 + y) * 1600 + 596) * 4,
    );
  const r = matchNeedle(big, needleOf(needleImage, [area]));
  assert.deepEqual([r.ok, r.areas[0]!.x, r.areas[0]!.y], [true, 600, 400]);
});

test("bestMatch orders as os-autoinst: matches first, then error, then name", () => {
  const a = needleOf(frame, [area], "b-exact");
  const b = needleOf(withNoise(frame, 12), [area], "a-noisy");
  const c = needleOf(screenFrame(1024, 768, 42), [area], "c-other");
  const { best, candidates } = bestMatch(frame, [c, b, a]);
  assert.equal(best?.needle.name, "b-exact");
  assert.deepEqual(
    candidates.map((r) => r.needle.name),
    ["b-exact", "a-noisy", "c-other"],
  );
  assert.equal(bestMatch(frame, [c]).best, undefined);
});
