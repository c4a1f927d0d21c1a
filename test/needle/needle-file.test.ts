// Reading openQA's needle JSON: the defaults os-autoinst applies, and each
// mistake refused with a message that says what to fix.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { blankImage } from "../../src/image/image.js";
import { NeedleError, needleJson, parseNeedle } from "../../src/needle/needle.js";
import { loadNeedle, writePng } from "../../src/needle/needle-files.js";

test("os-autoinst's defaults: type match, match 96, margin 50; click_point center or a point", () => {
  const n = parseNeedle(
    {
      tags: ["login", "ENV-LANG-ja"],
      properties: ["workaround"],
      area: [
        { xpos: 10, ypos: 20, width: 30, height: 40, click_point: "center" },
        { xpos: 1, ypos: 2, width: 3, height: 4, type: "exclude" },
        { xpos: 5, ypos: 6, width: 7, height: 8, type: "ocr", match: 80, margin: 10 },
      ],
    },
    "login-ja",
  );
  assert.deepEqual(n.areas[0], {
    x: 10,
    y: 20,
    width: 30,
    height: 40,
    type: "match",
    match: 96,
    margin: 50,
    clickPoint: { x: 15, y: 20 },
  });
  assert.equal(n.areas[1]!.type, "exclude");
  assert.deepEqual([n.areas[2]!.match, n.areas[2]!.margin], [80, 10]);
  const again = parseNeedle(needleJson(n), "login-ja");
  assert.deepEqual(again.areas, n.areas);
  assert.deepEqual(
    parseNeedle({ area: [{ xpos: 0, ypos: 0, width: 5, height: 5, click_point: { xpos: 2, ypos: 3 } }] }, "p")
      .areas[0]!.clickPoint,
    { x: 2, y: 3 },
  );
});

test("bad needles are refused, each with what to fix", () => {
  const cases: [unknown, RegExp][] = [
    [[], /must be an object/],
    [{ area: [] }, /must list at least one area/],
    [{ tags: "x", area: [{}] }, /"tags" must be a list of strings/],
    [{ area: [{ xpos: -1, ypos: 0, width: 1, height: 1 }] }, /area 1: "xpos" must be a whole number/],
    [{ area: [{ xpos: 0, ypos: 0, width: 0, height: 1 }] }, /"width" and "height" must be above 0/],
    [
      { area: [{ xpos: 0, ypos: 0, width: 1, height: 1, type: "maybe" }] },
      /"type" must be match, exclude or ocr/,
    ],
    [{ area: [{ xpos: 0, ypos: 0, width: 1, height: 1, match: 150 }] }, /"match" is a percentage/],
    [{ area: [{ xpos: 0, ypos: 0, width: 1, height: 1, type: "exclude" }] }, /no match area/],
    [
      { area: [{ xpos: 0, ypos: 0, width: 1, height: 1, click_point: "middle" }] },
      /"click_point" must be "center"/,
    ],
    [
      {
        area: [
          { xpos: 0, ypos: 0, width: 1, height: 1, click_point: "center" },
          { xpos: 0, ypos: 0, width: 1, height: 1, click_point: "center" },
        ],
      },
      /more than one area has a click_point/,
    ],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => parseNeedle(json, "bad"),
      (e: Error) => e instanceof NeedleError && message.test(e.message),
      JSON.stringify(json),
    );
  }
});

test("a needle file from an openQA repository with its numbers as strings loads as os-autoinst reads it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wakame-needle-strings-"));
  try {
    // As some needles in openQA's repositories are written (os-autoinst is Perl: "100" is 100).
    writeFileSync(
      join(dir, "desktop-20240101.json"),
      `{"area": [{"xpos": "10", "ypos": "20", "width": "30", "height": "40", "type": "match", "match": "100",
        "margin": "15", "click_point": {"xpos": "5", "ypos": "6"}},
       {"xpos": 0, "ypos": 0, "width": "8", "height": 8, "type": "exclude"}],
       "properties": [{"name": "glyph"}], "tags": ["desktop"]}`,
    );
    await writePng(join(dir, "desktop-20240101.png"), blankImage(64, 64));
    const n = await loadNeedle(join(dir, "desktop-20240101.json"));
    assert.deepEqual(n.areas[0], {
      x: 10,
      y: 20,
      width: 30,
      height: 40,
      type: "match",
      match: 100,
      margin: 15,
      clickPoint: { x: 5, y: 6 },
    });
    assert.equal(n.areas[1]!.width, 8);
    // What is no number stays refused, in the same words.
    assert.throws(
      () => parseNeedle({ area: [{ xpos: "ten", ypos: 0, width: 1, height: 1 }] }, "bad"),
      /area 1: "xpos" must be a whole number of pixels, 0 or more \(it is "ten"\)/,
    );
    assert.throws(
      () => parseNeedle({ area: [{ xpos: "1.5", ypos: 0, width: 1, height: 1 }] }, "bad"),
      /"xpos" must be a whole number/,
    );
    assert.equal(
      parseNeedle({ area: [{ xpos: 0, ypos: 0, width: 1, height: 1, match: "92.5" }] }, "f").areas[0]!.match,
      92.5,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
