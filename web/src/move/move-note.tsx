// An instance's newest move where the instance is shown: "Moving to hn-x …
// N%" while under way (the live record carries the progress), its error
// when it failed, and on the instance's own page where it went.
import type { Instance } from "../api/types.js";
import { ProgressNote } from "../components/progress-note.js";
import { moveNote } from "./move-rules.js";

export function MoveNote(props: { instance: Instance; showDone?: boolean }) {
  const i = props.instance;
  const note = moveNote(i.move);
  if (!note || (note.kind === "done" && !props.showDone)) return null;
  return <ProgressNote job="move" note={note} progressLabel={`move ${i.move!.move_id} copied`} />;
}
