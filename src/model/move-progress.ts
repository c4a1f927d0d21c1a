// How far a live move is, from what QEMU says of it: the disks' mirror jobs
// (bytes copied of bytes to copy) and the migration's RAM (bytes sent of the
// guest's memory). Both are counted in bytes, so a small guest with a big
// disk spends most of its percent on the disk. Pure.

/** A mirror job as `query-block-jobs` gives it. */
export interface MirrorFigures {
  offset: number;
  len: number;
}

/** The migration as `query-migrate` gives it; `ram` is absent until it has begun. */
export interface MigrationFigures {
  status: string;
  ram?: { transferred: number; total: number; remaining: number };
}

/**
 * The move's progress, 0 to 99 while it is under way (100 is the destination
 * running, which only the destination knows). RAM sent again (pages the guest
 * dirtied) counts once: remaining, not transferred, says how much is left.
 */
export function moveProgress(mirrors: readonly MirrorFigures[], migration: MigrationFigures | null): number {
  let done = 0;
  let total = 0;
  for (const m of mirrors) {
    done += Math.min(m.offset, m.len);
    total += m.len;
  }
  if (migration?.ram && migration.ram.total > 0) {
    done += migration.ram.total - Math.min(migration.ram.remaining, migration.ram.total);
    total += migration.ram.total;
  }
  if (total === 0) return 0;
  return Math.min(99, Math.floor((done / total) * 100));
}

/** The migration states QEMU ends in, and those it goes through (qapi/migration.json MigrationStatus). */
export const migrationEnded = ["completed", "failed", "cancelled"] as const;

/** Whether a `query-migrate` status means the move is over one way or the other. */
export function migrationIsOver(status: string): boolean {
  return (migrationEnded as readonly string[]).includes(status);
}

/** The bytes a move has sent so far: what the mirrors wrote and the RAM the migration sent. */
export function bytesSent(mirrors: readonly MirrorFigures[], migration: MigrationFigures | null): number {
  let sent = 0;
  for (const m of mirrors) sent += m.offset;
  return sent + (migration?.ram?.transferred ?? 0);
}

/**
 * Whether a copy has stalled: its bytes sent have not grown for `stallMs`. A
 * link that went dead keeps its TCP connections open for many minutes (their
 * retransmissions); this is how the source learns of it sooner.
 */
export class StallWatch {
  private last = -1;
  private since: number;

  constructor(
    private readonly stallMs: number,
    now: number,
  ) {
    this.since = now;
  }

  /** Takes the bytes sent at `now`; true when they have not grown for `stallMs`. */
  stalled(sent: number, now: number): boolean {
    if (sent > this.last) {
      this.last = sent;
      this.since = now;
      return false;
    }
    return now - this.since >= this.stallMs;
  }
}
