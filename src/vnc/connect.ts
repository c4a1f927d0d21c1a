// Connecting to a VM's console that may not be listening yet (QEMU just
// started) or has gone away for a moment: tries again with a growing pause.
import { setTimeout as sleep } from "node:timers/promises";
import { RfbClient, type RfbOptions, VncError } from "./rfb-client.js";

/** The pauses between tries: 100 ms doubling up to 2 s. */
export function backoffDelays(tries: number, firstMs = 100, maxMs = 2000): number[] {
  return Array.from({ length: Math.max(0, tries - 1) }, (_, i) => Math.min(maxMs, firstMs * 2 ** i));
}

export async function connectWithRetry(
  address: string,
  options: RfbOptions = {},
  tries = 10,
): Promise<RfbClient> {
  let last: Error | undefined;
  const delays = backoffDelays(tries);
  for (let i = 0; i < tries; i++) {
    try {
      return await RfbClient.connect(address, options);
    } catch (err) {
      last = err as Error;
      // A refused password does not get better by asking again.
      if (/password/.test(last.message)) throw last;
      if (i < delays.length) await sleep(delays[i]!);
    }
  }
  throw new VncError(`cannot reach the VNC console at ${address} after ${tries} tries: ${last?.message}`);
}
