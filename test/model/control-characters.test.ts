// Control characters in someone else's text: found, named, and escaped so
// that they print as text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { controlCharacterIn, escapeControlCharacters, safeJson } from "../../src/model/control-characters.js";

test("C0, DEL and C1 are control characters; the rest of Unicode is text", () => {
  for (const [text, found] of [
    ["plain name", null],
    ["Ünïcödé 名前 ✓ \u00a0nbsp", null],
    ["esc\u001b[2J", "\u001b"],
    ["bell\u0007", "\u0007"],
    ["del\u007f", "\u007f"],
    ["csi\u009b", "\u009b"],
    ["nel\u0085", "\u0085"],
    ["tab\tx", "\t"],
  ] as const)
    assert.equal(controlCharacterIn(text), found, JSON.stringify(text));
  assert.equal(controlCharacterIn("a\nb\tc", "\t\n"), null, "lines allowed where asked");
  assert.equal(controlCharacterIn("a\nb\u001b", "\t\n"), "\u001b");
});

test("escaped for a terminal: ESC, BEL, DEL and CSI print as their escapes; newlines kept where asked", () => {
  assert.equal(
    escapeControlCharacters("web\u001b[2J\u001b]0;pwned\u0007 \u009b \u007f"),
    "web\\x1b[2J\\x1b]0;pwned\\x07 \\x9b \\x7f",
  );
  assert.equal(escapeControlCharacters("one\ntwo\u001b", "\n"), "one\ntwo\\x1b");
  assert.equal(escapeControlCharacters("C:\\Windows"), "C:\\Windows", "text stays as it is");
});

test("JSON with no raw control character, that parses back to the same text", () => {
  const value = { name: "a\u001b[2J\u009b\u007fz" };
  const text = safeJson(value, 2);
  assert.ok(controlCharacterIn(text, "\n") === null, text);
  assert.match(text, /\\u001b\[2J\\u009b\\u007fz/);
  assert.deepEqual(JSON.parse(text), value);
});
