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
