// An instance's newest backup where the instance is shown: "Creating image
// … N%" while under way (the live record carries the progress), its error
// when it failed, and on the instance's own page that it is available.
import type { Instance } from "../api/types.js";
import { backupNote } from "./backup-progress.js";

export function BackupNote(props: { instance: Instance; showAvailable?: boolean }) {
  const i = props.instance;
  const note = backupNote(i.backup, i.state === "halting");
  if (!note || (note.kind === "available" && !props.showAvailable)) return null;
  return (
    // Progress is not announced (it moves every few seconds); a failure is.
    <div
      class={`backup-note ${note.kind}`}
      data-backup={note.kind}
      role={note.kind === "failed" ? "alert" : undefined}
    >
      {note.text}
      {note.percent !== null && (
        <progress max={100} value={note.percent} aria-label={`image ${i.backup!.image_id} written`} />
      )}
    </div>
  );
}
