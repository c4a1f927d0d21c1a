// The needle command as a user runs it: a needle made from a screenshot is
// openQA's pair of files, `test` says match or not per screenshot (text and
// --json) with exit status 0 only when all match and a diff image for a
// miss, --color catches what grey cannot, `show` draws the areas, and bad
// input is refused without a file left behind.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { decodePng, encodePng } from "../../src/image/png.js";
import { stepScreenshot } from "../../src/imagebuild/step-screenshots.js";
import { needleCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/paths.js";
import { decorate, greenAndGreyMarks, screenFrame } from "../helpers/pictures.js";

const ws = tempDir("needle-cli");
const needle = (...args: string[]) => needleCli(ws, ...args);
const frame = screenFrame(1024, 768, 3);
// The needles' area is 300,200,160,60; the content around it goes a few pixels further, as on a real screen.
decorate(frame, { x: 296, y: 196, width: 168, height: 68 });

before(() => {
  writeFileSync(join(ws, "login.png"), encodePng(frame));
  writeFileSync(join(ws, "desktop.png"), encodePng(screenFrame(1024, 768, 9)));
  const moved = screenFrame(1024, 768, 3);
  decorate(moved, { x: 326, y: 211, width: 168, height: 68 });
  writeFileSync(join(ws, "moved.png"), encodePng(moved));
});
after(() => rmSync(ws, { recursive: true, force: true }));

test("needle new writes NAME.json and NAME.png as openQA reads them", async () => {
  const r = await needle(
    "new",
    "login.png",
    "--area",
    "300,200,160,60",
    "--exclude",
    "400,215,50,20",
    "--click",
    "380,230",
    "--tag",
    "login",
    "--tag",
    "ENV-LANG-ja",
    "-o",
    "login-screen",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote login-screen.json and login-screen.png/);
  assert.deepEqual(JSON.parse(readFileSync(join(ws, "login-screen.json"), "utf8")), {
    area: [
      { xpos: 300, ypos: 200, width: 160, height: 60, type: "match", click_point: { xpos: 80, ypos: 30 } },
      { xpos: 400, ypos: 215, width: 50, height: 20, type: "exclude" },
    ],
    properties: [],
    tags: ["login", "ENV-LANG-ja"],
  });
  assert.deepEqual(decodePng(readFileSync(join(ws, "login-screen.png"))).data, frame.data);
});

test("needle test: match or not for each screenshot, where and how well, exit 0 only if all match", async () => {
  // Exclude areas stay where they are on the screen (as in os-autoinst), so a needle that moves has none.
  assert.equal(
    (await needle("new", "login.png", "--area", "300,200,160,60", "--tag", "login", "-o", "login-plain"))
      .code,
    0,
  );
  const all = await needle("test", "login-plain.json", "login.png", "moved.png");
  assert.equal(all.code, 0, all.stdout);
  assert.match(
    all.stdout,
    /login.png: match \(needle login-plain\)\n {2}area 1: found at 300,200 \(160x60\), similarity 1.000, needs 0.960: ok/,
  );
  assert.match(all.stdout, /moved.png: match[^\n]*\n {2}area 1: found at 330,215 /);
  const one = await needle("test", "login-screen.json", "login.png", "desktop.png", "--json");
  assert.equal(one.code, 1);
  const report = JSON.parse(one.stdout);
  assert.deepEqual(
    report.map((r: { match: boolean }) => r.match),
    [true, false],
  );
  assert.deepEqual(report[0].areas, [{ x: 300, y: 200, width: 160, height: 60, similarity: 1 }]);
  assert.ok(report[1].areas[0].similarity < 0.96);
  assert.equal(report[1].diff, "desktop.login-screen.diff.png");
  const diff = decodePng(readFileSync(join(ws, report[1].diff)));
  assert.deepEqual([diff.width, diff.height], [1024, 768]);
});

test("needle test --color tells a green mark from a grey one that grey matching takes for it", async () => {
  const { green, grey } = greenAndGreyMarks(frame, { x: 320, y: 210, width: 40, height: 30 });
  writeFileSync(join(ws, "green.png"), encodePng(green));
  writeFileSync(join(ws, "grey.png"), encodePng(grey));
  assert.equal(
    (await needle("new", "green.png", "--area", "300,200,160,60", "--tag", "selected", "-o", "selected"))
      .code,
    0,
  );
  assert.equal((await needle("test", "selected.json", "grey.png")).code, 0);
  const colour = await needle("test", "selected.json", "grey.png", "green.png", "--color");
  assert.equal(colour.code, 1);
  assert.match(colour.stdout, /grey.png: no match[\s\S]*green.png: match/);
});

test("needle show draws the areas, on the needle's picture or on a screenshot", async () => {
  assert.match((await needle("show", "login-screen.json")).stdout, /wrote login-screen-areas.png/);
  const drawn = decodePng(readFileSync(join(ws, "login-screen-areas.png")));
  const at = (x: number, y: number) => [...drawn.data.subarray((y * 1024 + x) * 4, (y * 1024 + x) * 4 + 3)];
  assert.deepEqual(at(299, 250), [0, 200, 0], "the match area's border is green");
  assert.deepEqual(at(399, 225), [230, 160, 0], "the exclude area's border is orange");
  const r = await needle("show", "login-plain.json", "moved.png", "-o", "found.png");
  assert.equal(r.code, 0, r.stderr);
  const found = decodePng(readFileSync(join(ws, "found.png")));
  assert.deepEqual([...found.data.subarray((250 * 1024 + 329) * 4, (250 * 1024 + 329) * 4 + 3)], [0, 200, 0]);
});

test("needle new --from-build takes the screen a build recorded for a step", async () => {
  const build = join(ws, "build");
  mkdirSync(join(build, "screenshots"), { recursive: true });
  writeFileSync(stepScreenshot(build, "4-M-wait-for-ctrl-alt-delete-screen"), encodePng(frame));
  const r = await needle(
    "new",
    "--from-build",
    "build",
    "4",
    "--area",
    "300,200,160,60",
    "--tag",
    "ctrl-alt-delete",
    "-o",
    "cad",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /from .*screenshots\/4-M-wait-for-ctrl-alt-delete-screen.png/);
  const missing = await needle(
    "new",
    "--from-build",
    "build",
    "6",
    "--area",
    "1,1,5,5",
    "--tag",
    "x",
    "-o",
    "x",
  );
  assert.match(missing.stderr, /has no screenshot of step 6: it has 4-M-wait-for-ctrl-alt-delete-screen/);
});

test("bad input is refused with what to fix, and leaves no file behind", async () => {
  const before = readdirSync(ws).sort();
  const cases: [string[], RegExp][] = [
    [["new", "login.png", "--tag", "x", "-o", "n1"], /--area is required/],
    [
      ["new", "login.png", "--area", "300,200,160", "--tag", "x", "-o", "n1"],
      /'300,200,160' is not X,Y,WIDTH,HEIGHT/,
    ],
    [
      ["new", "login.png", "--area", "1000,700,100,100", "--tag", "x", "-o", "n1"],
      /not inside the 1024x768 screenshot/,
    ],
    [
      ["new", "login.png", "--area", "300,200,160,60", "--click", "10,10", "--tag", "x", "-o", "n1"],
      /--click 10,10 is in no --area/,
    ],
    [
      ["new", "login.png", "--area", "300,200,160,60", "--tag", "x", "-o", "login-screen"],
      /login-screen.json exists/,
    ],
    [
      ["new", "nothing.png", "--area", "1,1,5,5", "--tag", "x", "-o", "n1"],
      /cannot read nothing.png: no such file/,
    ],
    [["new", "login-screen.json", "--area", "1,1,5,5", "--tag", "x", "-o", "n1"], /is not a PNG file/],
    [["test", "login.png", "login.png"], /a needle is named by its .json file/],
    [["test", "login-screen.json"], /missing SCREENSHOT.png/],
    [
      ["new", "login.png", "--area", "300,200,160,60", "--tag", "x", "--match", "140", "-o", "n1"],
      /not a percentage/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await needle(...args);
    assert.ok(r.code > 0, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js/);
  }
  writeFileSync(join(ws, "broken.json"), "{ not json");
  writeFileSync(join(ws, "broken.png"), encodePng(frame));
  assert.match((await needle("test", "broken.json", "login.png")).stderr, /broken.json is not valid JSON/);
  assert.deepEqual(
    readdirSync(ws)
      .filter((f) => !before.includes(f))
      .sort(),
    ["broken.json", "broken.png"],
  );
  assert.equal(existsSync(join(ws, "n1.json")), false);
});
