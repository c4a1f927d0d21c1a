// Text and key combinations as key events, decided without I/O: which keys,
// with Shift where the layout needs it, and Caps Lock turned off first (and
// on again after) when the guest has it on, so that it garbles nothing. Num
// Lock does not matter: text is never typed on the numeric keypad.
import type { Leds } from "../rfb-client.js";
import type { KeyCode } from "./keys.js";
import { type Layout, strokeFor } from "./layouts.js";

export interface KeyEvent {
  code: KeyCode;
  down: boolean;
}

export class UntypableText extends Error {}

const press = (codes: readonly KeyCode[]): KeyEvent[] => [
  ...codes.map((code) => ({ code, down: true })),
  ...[...codes].reverse().map((code) => ({ code, down: false })),
];

export function comboEvents(codes: readonly KeyCode[]): KeyEvent[] {
  return press(codes);
}

/** The key events that type `text` in `layout`, given the guest's LEDs. */
export function textEvents(text: string, layout: Layout, leds: Leds | undefined): KeyEvent[] {
  const strokes = [...text.replace(/\r\n/g, "\n")].map((ch) => {
    const s = strokeFor(layout, ch);
    if (!s)
      throw new UntypableText(
        `the ${layout.description} layout has no key for ${JSON.stringify(ch)}: type it another way, or choose another layout`,
      );
    return s;
  });
  const events: KeyEvent[] = [];
  const caps = leds?.capsLock ?? false;
  if (caps) events.push(...press(layout.capsLockToggle));
  let shifted = false;
  for (const s of strokes) {
    if (s.shift !== shifted) {
      events.push({ code: "ShiftLeft", down: s.shift });
      shifted = s.shift;
    }
    events.push({ code: s.code, down: true }, { code: s.code, down: false });
  }
  if (shifted) events.push({ code: "ShiftLeft", down: false });
  if (caps) events.push(...press(layout.capsLockToggle));
  return events;
}
