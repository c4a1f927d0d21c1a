// Passes overlap (a long image fetch must not hold up the other instances),
// so a read of dcmgr can return after the agent has acted on what it read.
// This orders the agent's own events, reads begun and actions ended, so that
// such a read is not used for that instance: the next read decides for it.
// Pure bookkeeping, no I/O.
export class ReadOrder {
  /** A count of the agent's own events: it orders them. */
  private events = 0;
  /** The reads of dcmgr under way, by the event that began each. */
  private readonly reading = new Set<number>();
  /** Per instance, the event that ended the agent's last action on it. */
  private readonly lastActed = new Map<string, number>();
  /** The instances being acted on now. */
  private readonly busy = new Set<string>();

  /** A read of dcmgr begins: the number to ask `shows` with, and to end it with once its pass has chosen what to act on. */
  beginRead(): number {
    const read = ++this.events;
    this.reading.add(read);
    return read;
  }

  endRead(read: number): void {
    this.reading.delete(read);
    this.forgetOldActions();
  }

  /** Whether the read begun at `read` shows instance `id` as it is: nothing acts on it, nothing acted since. */
  shows(id: string, read: number): boolean {
    return !this.busy.has(id) && (this.lastActed.get(id) ?? 0) < read;
  }

  /** The agent takes the instance in hand: no other pass acts on it meanwhile. */
  take(id: string): void {
    this.busy.add(id);
  }

  /** The agent lets go of the instance, having acted on it or not. */
  release(id: string, acted: boolean): void {
    if (acted) this.lastActed.set(id, ++this.events);
    this.busy.delete(id);
  }

  /** An action that ended before every read under way began can make no read stale any more. */
  private forgetOldActions(): void {
    const oldestRead = Math.min(...this.reading);
    for (const [id, at] of this.lastActed) if (at < oldestRead) this.lastActed.delete(id);
  }
}
