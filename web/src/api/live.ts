// The live feed (GET /events): every change of the account's instances, as
// the instance's whole record. The stream is reopened after it drops (a
// dcmgr restart, a laptop waking), at once when the browser says it is back
// online or visible, and resumes after the last event id it got, so no
// change is missed; a "reset" from dcmgr means state must be read afresh.
import { apiBase } from "./client.js";
import { loadSession, sessionHeaders } from "./session.js";
import { SseParser } from "./sse-parser.js";

export interface LiveHandlers {
  /** The feed is (re)connected: the page may re-read lists that events do not cover. */
  onReady(): void;
  onInstance(view: unknown): void;
  onStatus(connected: boolean): void;
}

const silenceMs = 40_000;

export function startLive(h: LiveHandlers): () => void {
  let lastId: string | null = null;
  let stopped = false;
  let controller: AbortController | null = null;
  let retryMs = 500;
  let wake: (() => void) | null = null;

  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  async function once(): Promise<void> {
    controller = new AbortController();
    const res = await fetch(`${apiBase}/events`, {
      headers: { ...sessionHeaders(loadSession()), ...(lastId !== null && { "Last-Event-ID": lastId }) },
      signal: controller.signal,
      cache: "no-store",
    });
    if (!res.ok || !res.body) throw new Error(`the live feed answered ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    // dcmgr sends a comment every 15 s: silence for longer is a connection that died unnoticed (a sleep).
    let watchdog = setTimeout(() => controller?.abort(), silenceMs);
    for (;;) {
      const { value, done } = await reader.read();
      clearTimeout(watchdog);
      if (done) return;
      watchdog = setTimeout(() => controller?.abort(), silenceMs);
      for (const e of parser.push(value)) {
        if (e.id !== null) lastId = e.id;
        if (e.event === "ready") {
          retryMs = 500;
          h.onStatus(true);
          h.onReady();
        } else if (e.event === "instance") h.onInstance(JSON.parse(e.data));
      }
    }
  }

  void (async () => {
    while (!stopped) {
      try {
        await once();
      } catch {
        // Dropped or refused: try again below.
      }
      if (stopped) return;
      h.onStatus(false);
      await nap(retryMs);
      retryMs = Math.min(retryMs * 2, 8000);
    }
  })();

  const reconnectNow = () => {
    if (document.visibilityState !== "visible") return;
    retryMs = 500;
    wake?.();
  };
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", reconnectNow);
  return () => {
    stopped = true;
    controller?.abort();
    wake?.();
    window.removeEventListener("online", reconnectNow);
    document.removeEventListener("visibilitychange", reconnectNow);
  };
}
