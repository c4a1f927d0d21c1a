// The loop's pauses between passes: a nap ends when its time is up, when
// what it waits on settles (the long-poll's read), or early when a VM stops,
// so that the pass that reports it comes at once.
export class Naps {
  private readonly nappers = new Set<() => void>();
  /** A wake-up that came while no one napped: the next nap ends at once. */
  private wokenEarly = false;

  /** Waits `ms`, or less: until `until` settles, or `wake()`; true in that last case, when a pass is due at once. */
  nap(ms: number, until?: Promise<unknown>): Promise<boolean> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.nappers.delete(wake);
        resolve(woken);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.nappers.add(wake);
      until?.then(
        () => done(false),
        () => done(false),
      );
    });
  }

  wake(): void {
    if (this.nappers.size === 0) this.wokenEarly = true;
    for (const wake of [...this.nappers]) wake();
  }
}
