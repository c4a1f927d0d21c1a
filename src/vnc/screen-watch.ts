// Waiting for a screen: the needles are tried on every framebuffer update as
// it comes (not on a timer, as os-autoinst's 0.5 s poll), with the quick
// yes-or-no search; when the time is up, the last screen is searched
// exactly so the caller can say which needle came closest and how close.
import { cloneImage, type Image } from "../image/image.js";
import { bestMatch, type LoadedNeedle, type MatchResult } from "../needle/match.js";
import type { RfbClient } from "./rfb-client.js";
import { VncError } from "./rfb-client.js";

export interface ScreenWait {
  /** The needle that matched, when one did. */
  matched: MatchResult | undefined;
  /** Every needle on the last screen, best first (exact scores when none matched). */
  candidates: MatchResult[];
  /** The screen the answer is about. */
  screen: Image;
  /** From the call to the answer, in ms. */
  waitedMs: number;
}

export function waitForScreen(
  client: RfbClient,
  needles: readonly LoadedNeedle[],
  options: { timeoutMs: number; colour?: boolean },
): Promise<ScreenWait> {
  if (needles.length === 0) return Promise.reject(new Error("no needles to wait for"));
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const finish = (matched: MatchResult | undefined, candidates: MatchResult[]) => {
      clearTimeout(timer);
      client.off("update", onUpdate);
      client.off("close", onClose);
      resolve({
        matched,
        candidates,
        screen: cloneImage(client.framebuffer),
        waitedMs: performance.now() - start,
      });
    };
    const onUpdate = () => {
      const { best, candidates } = bestMatch(client.framebuffer, needles, {
        colour: options.colour,
        exact: false,
      });
      if (best) finish(best, candidates);
    };
    const onClose = (err: Error | undefined) => {
      clearTimeout(timer);
      client.off("update", onUpdate);
      reject(err ?? new VncError("the VNC connection closed while waiting for the screen"));
    };
    const timer = setTimeout(() => {
      const { candidates } = bestMatch(client.framebuffer, needles, { colour: options.colour });
      finish(undefined, candidates);
    }, options.timeoutMs);
    client.on("update", onUpdate);
    client.on("close", onClose);
    // The screen may be there already.
    if (client.updates > 0) onUpdate();
  });
}
