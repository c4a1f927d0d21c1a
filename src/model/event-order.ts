// Which of the newly read events a live feed may hand out, in id order. Ids
// come from the store's sequence: on SQLite they commit in order, but on
// PostgreSQL a transaction that took id 7 can commit after the one that took
// id 8, and a rolled-back one leaves 7 unused for ever. So the feed stops at
// a gap for a moment (the missing event may still commit) and passes it once
// `graceMs` have gone by. Pure.

export interface Cursor {
  /** Every event up to this id has been handed out. */
  last: number;
  /** Since when the feed has waited at a gap after `last`, if it waits. */
  gapSince: number | null;
}

/** How far the feed may go with these newly read ids (ascending, all above `cursor.last`). */
export function advance(cursor: Cursor, ids: readonly number[], now: number, graceMs: number): Cursor {
  let last = cursor.last;
  let gapSince = cursor.gapSince;
  for (const id of ids) {
    if (id === last + 1) {
      last = id;
      gapSince = null;
      continue;
    }
    gapSince ??= now;
    if (now - gapSince < graceMs) break;
    // Waited long enough: what is missing was rolled back, or will be seen by a re-read of state.
    last = id;
    gapSince = null;
  }
  return { last, gapSince: last === (ids.at(-1) ?? last) ? null : gapSince };
}
