// Typing by scancode through QEMU's VNC server into a guest set to each
// layout: 1,000 characters of mixed case, digits and symbols arrive exactly,
// at the builder's default key rate, in the US and in the Japanese (JIS)
// layout. The stand-in's typing mode echoes a field and says each typed line
// on the serial port; its keymaps are the Linux console's own (console-data),
// not our layout tables, so a wrong table shows. With the guest's Caps Lock
// on (read from its LED), text still arrives as typed.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { layouts } from "../../src/vnc/keyboard/layouts.js";
import { pressOn, sendKeyEvents } from "../../src/vnc/keyboard/send-keys.js";
import { comboEvents, textEvents } from "../../src/vnc/keyboard/typing.js";
import { tempDir } from "../helpers/paths.js";
import { random } from "../helpers/pictures.js";
import { startTypingStandin } from "../helpers/vnc-vm.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every printable ASCII character but the space, each at least once, then random ones: 1,000 in all. */
function mixedText(seed: number): string {
  const chars = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
  const rnd = random(seed);
  const text = [
    ...chars,
    ...Array.from({ length: 1000 - chars.length }, () => chars[Math.floor(rnd() * chars.length)]!),
  ];
  for (let i = text.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [text[i], text[j]] = [text[j]!, text[i]!];
  }
  return text.join("");
}

for (const [layout, seed] of [
  ["us", 1],
  ["jis", 2],
] as const) {
  test(`1,000 characters typed in the ${layout} layout arrive exactly`, async () => {
    const dir = tempDir(`typing-${layout}`);
    dirs.push(dir);
    const standin = await startTypingStandin(dir, layout);
    try {
      const text = mixedText(seed);
      await sendKeyEvents(
        pressOn(standin.client),
        textEvents(`${text}\n`, layouts[layout]!, standin.client.leds),
      );
      for (let i = 0; standin.typedLines().length === 0; i++) {
        assert.ok(i < 120, "no typed line came back");
        await sleep(250);
      }
      const got = standin.typedLines()[0]!;
      assert.equal(got.length, text.length, "no key lost");
      assert.equal(got, text);

      // Caps Lock on in the guest (its LED, as QEMU tells it): text still arrives as typed.
      await sendKeyEvents(pressOn(standin.client), comboEvents(layouts[layout]!.capsLockToggle));
      for (let i = 0; !standin.client.leds?.capsLock; i++) {
        assert.ok(i < 40, "the guest's Caps Lock LED did not come on");
        await sleep(250);
      }
      const mixed = "Caps Lock is ON: aBc-XyZ 123!";
      await sendKeyEvents(
        pressOn(standin.client),
        textEvents(`${mixed}\n`, layouts[layout]!, standin.client.leds),
      );
      for (let i = 0; standin.typedLines().length < 2; i++) {
        assert.ok(i < 120, "no second typed line came back");
        await sleep(250);
      }
      assert.equal(standin.typedLines()[1], mixed);
    } finally {
      await standin.stop();
    }
  });
}
