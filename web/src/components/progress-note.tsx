// A note under an instance on a job of its that runs for a while (a backup,
// a move): its words, a progress bar while it is under way, and the page's
// alert when it failed. Progress is not announced (it moves every few
// seconds); a failure is.
export interface Note {
  text: string;
  kind: string;
  /** 0-100 while under way, else null. */
  percent: number | null;
}

export function ProgressNote(props: { job: "backup" | "move"; note: Note; progressLabel: string }) {
  const { job, note } = props;
  return (
    <div
      class={`${job}-note ${note.kind}`}
      {...{ [`data-${job}`]: note.kind }}
      role={note.kind === "failed" ? "alert" : undefined}
    >
      {note.text}
      {note.percent !== null && <progress max={100} value={note.percent} aria-label={props.progressLabel} />}
    </div>
  );
}
