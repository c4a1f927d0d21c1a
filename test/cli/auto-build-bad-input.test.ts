// auto-windows-image-build refuses what it cannot work with — no build
// directory, no needle directory, a broken console script or needle, no VM
// console — in words that say what to fix, with exit status 1, nextstep
// and the directory's lock left as they were.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { autoImageBuild, buildDirUtils } from "../helpers/cli.js";
import { tempDir } from "../helpers/paths.js";

const ws = tempDir("auto-bad-input");
const dir = join(ws, "build");
const next = "4-M-wait-for-ctrl-alt-delete-screen";

before(async () => {
  mkdirSync(join(ws, "resources"));
  writeFileSync(join(ws, "resources", "win.iso"), "iso");
  writeFileSync(join(ws, "resources", "virtio-win-0.1-74.iso"), "virtio");
  assert.equal((await buildDirUtils(ws, {}, dir, "0-init", "2012")).code, 0);
  const setup = await buildDirUtils(
    ws,
    { ISO2012: "win.iso", KEY2012: "none", CONSOLE_SCRIPT: "console.yaml" },
    dir,
    "-do-next",
  );
  assert.equal(setup.code, 0, setup.stderr);
  // As if steps 2 and 3 had run and the VM were gone.
  writeFileSync(join(dir, "nextstep"), `${next}\n`);
});
after(() => rmSync(ws, { recursive: true, force: true }));

async function refused(message: RegExp, args = [dir]): Promise<void> {
  const r = await autoImageBuild(ws, {}, ...args);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  if (existsSync(join(dir, "nextstep")))
    assert.equal(readFileSync(join(dir, "nextstep"), "utf8").trim(), next);
  assert.equal(existsSync(join(dir, "lock")), false);
}

test("each thing it cannot work with is refused with what to fix", async () => {
  await refused(/nowhere is not a build directory: start one with 'build-dir-utils nowhere 0-init 2012'/, [
    "nowhere",
  ]);
  await refused(/cannot read the console script .*console.yaml: set CONSOLE_SCRIPT to one that exists/);
  writeFileSync(join(ws, "console.yaml"), "windows: [\n");
  await refused(/console.yaml is not valid YAML/);
  writeFileSync(
    join(ws, "console.yaml"),
    'windows: "2012"\nlanguage: ja-JP\nkeyboard: jis\nsteps:\n  4-M-x: [{ wait: "a b" }]\n',
  );
  await refused(/step 4-M-x, action 1: "wait" names a needle tag/);
  writeFileSync(
    join(ws, "console.yaml"),
    `windows: "2012"\nlanguage: ja-JP\nkeyboard: jis\nsteps:\n  ${next}: [{ wait: cad }]\n`,
  );
  await refused(
    /the needle directory .*needles\/2012-ja-JP does not exist: make needles from a manual build's recorded screens/,
  );
  mkdirSync(join(ws, "needles", "2012-ja-JP"), { recursive: true });
  writeFileSync(join(ws, "needles", "2012-ja-JP", "cad.json"), "{ broken");
  await refused(/cad.json is not valid JSON/);
  writeFileSync(
    join(ws, "needles", "2012-ja-JP", "cad.json"),
    '{"tags": ["cad"], "area": [{"xpos": 0, "ypos": 0, "width": 5, "height": 5}]}',
  );
  await refused(/the needle .*cad.json has no picture: .*cad.png is missing/);
  rmSync(join(ws, "needles", "2012-ja-JP", "cad.json"));
  await refused(/kvm.vnc is missing: the build's VM was not started \(step 3\)/);
  assert.match(
    readFileSync(join(dir, "log"), "utf8"),
    new RegExp(`=== .* ${next}\\n[\\s\\S]*--- failed: kvm.vnc is missing`),
  );
});
