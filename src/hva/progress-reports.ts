// How often a long job's progress goes to dcmgr: every 5 percent, or every
// 2 s when it moves slower; a late report that dcmgr refuses (the job ended
// meanwhile) is dropped, nothing waits for it.

const everyMs = 2000;
const step = 5;

/** A progress callback that calls `say` with the percent when it is worth a report. */
export function progressReports(say: (percent: number) => Promise<unknown>): (percent: number) => void {
  let said = 0;
  let saidAt = Date.now();
  return (percent) => {
    if (percent < said + step && (percent <= said || Date.now() - saidAt < everyMs)) return;
    said = percent;
    saidAt = Date.now();
    say(percent).catch(() => {});
  };
}
