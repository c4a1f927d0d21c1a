// Key events out to the VNC server at a pace: a key's press and release
// half an interval apart, `rate` keys a second. Too fast and a guest's
// keyboard buffer overflows and drops keys (bench/typing measures the pace
// that loses none).
import { setTimeout as sleep } from "node:timers/promises";
import type { RfbClient } from "../rfb-client.js";
import { keysymOf, scancodeOf } from "./keys.js";
import type { KeyEvent } from "./typing.js";

/** Under the 50 a second that the stand-in takes without loss under TCG (bench/typing.ts). */
export const defaultKeyRate = 40;

export async function sendKeyEvents(
  client: RfbClient,
  events: readonly KeyEvent[],
  rate = defaultKeyRate,
): Promise<void> {
  const half = 500 / rate;
  for (const e of events) {
    client.key(keysymOf(e.code), scancodeOf(e.code), e.down);
    await sleep(half);
  }
}
