// Typing decided without a VM: which keys, with Shift, in the US and the
// JIS layout; Caps Lock turned off and on again around text; combinations
// by openQA's names and the Japanese keys' own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { keyNamed, parseCombo, scancodeOf } from "../../src/vnc/keyboard/keys.js";
import { layoutNamed, layouts, strokeFor } from "../../src/vnc/keyboard/layouts.js";
import { comboEvents, textEvents, UntypableText } from "../../src/vnc/keyboard/typing.js";
import { qemuKeyEvent } from "../../src/vnc/messages.js";

const off = { capsLock: false, numLock: false, scrollLock: false };
const keysOf = (events: ReturnType<typeof textEvents>) =>
  events.map((e) => `${e.down ? "+" : "-"}${e.code}`).join(" ");

test("the same character is a different key in the US and the JIS layout", () => {
  const table: [string, string, string][] = [
    // character, US key, JIS key ("^" marks Shift)
    ["@", "^Digit2", "BracketLeft"],
    ['"', "^Quote", "^Digit2"],
    [":", "^Semicolon", "Quote"],
    ["*", "^Digit8", "^Quote"],
    ["(", "^Digit9", "^Digit8"],
    ["=", "Equal", "^Minus"],
    ["^", "^Digit6", "Equal"],
    ["~", "^Backquote", "^Equal"],
    ["[", "BracketLeft", "BracketRight"],
    ["]", "BracketRight", "Backslash"],
    ["\\", "Backslash", "IntlYen"],
    ["_", "^Minus", "^IntlRo"],
    ["|", "^Backslash", "^IntlYen"],
    ["+", "^Equal", "^Semicolon"],
    ["'", "Quote", "^Digit7"],
    ["A", "^KeyA", "^KeyA"],
    ["7", "Digit7", "Digit7"],
  ];
  for (const [ch, us, jis] of table) {
    for (const [layout, want] of [
      [layouts.us!, us],
      [layouts.jis!, jis],
    ] as const) {
      const s = strokeFor(layout, ch);
      assert.equal(s && `${s.shift ? "^" : ""}${s.code}`, want, `${ch} in ${layout.name}`);
    }
  }
  // The JIS layout's Shift+0 types nothing; no character is typed with it.
  assert.equal(strokeFor(layouts.jis!, " ")?.code, "Space");
});

test("text: Shift is held over a run of shifted keys and released after", () => {
  assert.equal(
    keysOf(textEvents("aB@C", layouts.us!, off)),
    "+KeyA -KeyA +ShiftLeft +KeyB -KeyB +Digit2 -Digit2 +KeyC -KeyC -ShiftLeft",
  );
  assert.equal(
    keysOf(textEvents("a@\n", layouts.jis!, off)),
    "+KeyA -KeyA +BracketLeft -BracketLeft +Enter -Enter",
  );
});

test("Caps Lock on: turned off before the text and on again after (Shift+英数 on JIS)", () => {
  const caps = { ...off, capsLock: true };
  assert.equal(
    keysOf(textEvents("a", layouts.us!, caps)),
    "+CapsLock -CapsLock +KeyA -KeyA +CapsLock -CapsLock",
  );
  assert.equal(
    keysOf(textEvents("a", layouts.jis!, caps)),
    "+ShiftLeft +CapsLock -CapsLock -ShiftLeft +KeyA -KeyA +ShiftLeft +CapsLock -CapsLock -ShiftLeft",
  );
  assert.equal(
    keysOf(textEvents("1", layouts.us!, { ...off, numLock: true })),
    "+Digit1 -Digit1",
    "Num Lock does not matter",
  );
});

test("a character no key of the layout types is refused in words", () => {
  assert.throws(
    () => textEvents("é", layouts.us!, off),
    (e: Error) => e instanceof UntypableText && /US English .* has no key for "é"/.test(e.message),
  );
  assert.throws(() => layoutNamed("dvorak"), /unknown keyboard layout 'dvorak': use one of us, jis/);
});

test("combinations by openQA's names, the Japanese keys by theirs", () => {
  assert.deepEqual(parseCombo("ctrl-alt-delete"), ["ControlLeft", "AltLeft", "Delete"]);
  assert.deepEqual(parseCombo("alt-f4"), ["AltLeft", "F4"]);
  assert.deepEqual(parseCombo("shift-tab"), ["ShiftLeft", "Tab"]);
  assert.deepEqual(parseCombo("ctrl--"), ["ControlLeft", "Minus"]);
  assert.deepEqual(["半角/全角", "変換", "無変換", "かな", "¥", "ろ", "henkan"].map(keyNamed), [
    "Backquote",
    "Convert",
    "NonConvert",
    "KanaMode",
    "IntlYen",
    "IntlRo",
    "Convert",
  ]);
  assert.throws(() => parseCombo("ctrl-frob"), /unknown key 'frob' in 'ctrl-frob'/);
  assert.equal(
    comboEvents(parseCombo("ctrl-alt-delete"))
      .map((e) => `${e.down ? "+" : "-"}${e.code}`)
      .join(" "),
    "+ControlLeft +AltLeft +Delete -Delete -AltLeft -ControlLeft",
  );
});

test("QEMU's extended key event: XT scancodes, E0 keys with the top bit set", () => {
  assert.equal(scancodeOf("KeyA"), 0x1e);
  assert.equal(scancodeOf("Convert"), 0x79);
  assert.equal(qemuKeyEvent(0x61, scancodeOf("KeyA"), true).toString("hex"), "ff000001000000610000001e");
  assert.equal(qemuKeyEvent(0xffff, scancodeOf("Delete"), false).readUInt32BE(8), 0xd3);
  assert.equal(qemuKeyEvent(0xffea, scancodeOf("AltRight"), true).readUInt32BE(8), 0xb8);
});
