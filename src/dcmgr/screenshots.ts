// Console screenshots travel from the host agent to the user through dcmgr,
// because agents only ever call dcmgr (never the other way round): a user's
// request waits here; the instance's agent sees it in its next poll of
// GET /state, takes the picture with QMP `screendump` and delivers it.
// In memory, as the requests are only seconds long; with several dcmgr
// processes this becomes a table or a PostgreSQL NOTIFY.

type Waiter = (png: Buffer) => void;

export class ScreenshotDesk {
  private readonly waiting = new Map<string, Waiter[]>();

  /** `onRequest`: a user starts waiting, so the host's long-poll must answer. */
  constructor(private readonly onRequest: () => void) {}

  /** Whether a user waits for a screenshot of this instance. */
  requested(instanceId: string): boolean {
    return this.waiting.has(instanceId);
  }

  /** The next screenshot the agent delivers for the instance, or null after `timeoutMs`. */
  request(instanceId: string, timeoutMs: number): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const waiter: Waiter = (png) => {
        clearTimeout(timer);
        resolve(png);
      };
      const timer = setTimeout(() => {
        const rest = (this.waiting.get(instanceId) ?? []).filter((w) => w !== waiter);
        if (rest.length) this.waiting.set(instanceId, rest);
        else this.waiting.delete(instanceId);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(instanceId, [...(this.waiting.get(instanceId) ?? []), waiter]);
      this.onRequest();
    });
  }

  /** Hands the picture to everyone waiting; false when nobody was. */
  deliver(instanceId: string, png: Buffer): boolean {
    const waiters = this.waiting.get(instanceId);
    this.waiting.delete(instanceId);
    for (const w of waiters ?? []) w(png);
    return waiters !== undefined;
  }
}
