// Key events out to the VNC server at a pace: a key's press and release
// half an interval apart, `rate` keys a second. Too fast and a guest's
// keyboard buffer overflows and drops keys (bench/typing measures the pace
// that loses none). Free of Node, so the web GUI's console types through
// noVNC with it as the image build does through our RFB client.
import type { RfbClient } from "../rfb-client.js";
import { keysymOf, scancodeOf } from "./keys.js";
import type { KeyEvent } from "./typing.js";

/** Under the fastest pace the stand-in takes without loss under TCG (bench/typing.ts). */
export const defaultKeyRate = 40;

/** How one key event reaches a guest. */
export type PressKey = (e: KeyEvent) => void;

/** Key events through our RFB client, by scancode (QEMU's extended key event) with the keysym beside it. */
export const pressOn =
  (client: Pick<RfbClient, "key">): PressKey =>
  (e) =>
    client.key(keysymOf(e.code), scancodeOf(e.code), e.down);

export async function sendKeyEvents(
  press: PressKey,
  events: readonly KeyEvent[],
  rate = defaultKeyRate,
): Promise<void> {
  const half = 500 / rate;
  for (const e of events) {
    press(e);
    await new Promise((r) => setTimeout(r, half));
  }
}
