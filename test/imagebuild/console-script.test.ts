// Console scripts: every shipped one reads, names only the build's manual
// steps, types only what its keyboard can; bad scripts are refused with the
// step and action at fault.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  ConsoleScriptError,
  fillPlaceholders,
  parseConsoleScript,
  tagsOf,
} from "../../src/imagebuild/auto/console-script.js";
import { shippedConsoleScript } from "../../src/imagebuild/auto/console-scripts.js";
import { windowsLanguages } from "../../src/imagebuild/build-settings.js";
import { temporaryPassword } from "../../src/imagebuild/floppy-content.js";
import { buildSteps } from "../../src/imagebuild/steps.js";
import { windowsVersions } from "../../src/imagebuild/windows-versions.js";
import { layoutNamed } from "../../src/vnc/keyboard/layouts.js";
import { textEvents } from "../../src/vnc/keyboard/typing.js";
import { repoRoot } from "../helpers/paths.js";

test("a script ships for every version and language, and each reads and fits the build", () => {
  const manual = buildSteps()
    .filter((s) => s.kind === "manual")
    .map((s) => s.name);
  const dir = join(repoRoot, "guest", "windows", "console-scripts");
  assert.equal(readdirSync(dir).length, windowsVersions.length * windowsLanguages.length);
  for (const version of windowsVersions) {
    for (const language of windowsLanguages) {
      const path = shippedConsoleScript(version, language);
      const script = parseConsoleScript(readFileSync(path, "utf8"), path);
      assert.deepEqual([script.windows, script.language], [version, language]);
      assert.equal(script.keyboard, language === "ja-JP" ? "jis" : "us");
      assert.deepEqual([...script.steps.keys()], manual, `${path} scripts every manual step, in order`);
      const layout = layoutNamed(script.keyboard);
      for (const actions of script.steps.values())
        for (const a of actions)
          if (a.kind === "type")
            textEvents(fillPlaceholders(a.text, { password: temporaryPassword }), layout, undefined);
      assert.ok(tagsOf(script).includes("ctrl-alt-delete"));
    }
  }
});

test("bad scripts are refused with the step and action at fault", () => {
  const head = 'windows: "2012"\nlanguage: ja-JP\nkeyboard: jis\nsteps:\n';
  const cases: [string, RegExp][] = [
    ["windows: [", /is not valid YAML/],
    [
      'windows: "2012"\nlanguage: ja-JP\nkeyboard: dvorak\nsteps: {}\n',
      /keyboard 'dvorak' is not one of us, jis/,
    ],
    [`${head}  5-record-logs: [{ wait: x }]\n`, /'5-record-logs' is not a manual step's name/],
    [`${head}  4-M-x: []\n`, /step 4-M-x: give a list of actions/],
    [
      `${head}  4-M-x: [{ wait: x, keys: ret }]\n`,
      /action 1: give exactly one of wait, keys, type, click \(it has wait, keys\)/,
    ],
    [`${head}  4-M-x: [{ wait: "a b" }]\n`, /"wait" names a needle tag/],
    [`${head}  4-M-x: [{ wait: x, timeout: -1 }]\n`, /"timeout" is seconds/],
    [`${head}  4-M-x: [{ keys: ctrl-frob }]\n`, /unknown key 'frob'/],
    [`${head}  4-M-x: [{ type: abc, timeout: 5 }]\n`, /"timeout" goes with "until"/],
    [`${head}  4-M-x: [{ click: x, at: 5 }]\n`, /click takes click, timeout, not at/],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseConsoleScript(text, "s.yaml"),
      (e: Error) => e instanceof ConsoleScriptError && message.test(e.message),
      text,
    );
  assert.throws(
    () => fillPlaceholders("{pasword}", { password: "x" }),
    /unknown placeholder \{pasword\}: the known ones are \{password\}/,
  );
});
