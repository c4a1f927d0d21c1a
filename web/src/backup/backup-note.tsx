// An instance's newest backup where the instance is shown: "Creating image
// … N%" while under way (the live record carries the progress), its error
// when it failed, and on the instance's own page that it is available.
import type { Instance } from "../api/types.js";
import { ProgressNote } from "../components/progress-note.js";
import { backupNote } from "./backup-progress.js";

export function BackupNote(props: { instance: Instance; showAvailable?: boolean }) {
  const i = props.instance;
  const note = backupNote(i.backup, i.state === "halting");
  if (!note || (note.kind === "available" && !props.showAvailable)) return null;
  return <ProgressNote job="backup" note={note} progressLabel={`image ${i.backup!.image_id} written`} />;
}
