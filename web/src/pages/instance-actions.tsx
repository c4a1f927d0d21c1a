// Power and terminate buttons for an instance, each offered only in the
// states the API allows it from (instance-state.ts, shared with dcmgr), each
// confirmed first, and no power action while a backup is under way (dcmgr
// makes them wait for it; terminate ends the backup); "Create image" where a backup can be asked (backup-rules.ts),
// "Move" where a move can (move-rules.ts).
// The state that follows arrives by the live feed.
import { useState } from "preact/hooks";
import { actionAllowedFrom } from "../../../src/model/instance-state.js";
import { api } from "../api/client.js";
import type { Instance } from "../api/types.js";
import { BackupDialog } from "../backup/backup-dialog.js";
import { backupOffered, backupUnderWayOf } from "../backup/backup-rules.js";
import { Confirm } from "../components/modal.js";
import { MoveDialog } from "../move/move-dialog.js";
import { moveOffered } from "../move/move-rules.js";

type Action = "poweroff" | "poweron" | "reboot" | "terminate";

const words: Record<Action, { label: string; question: string }> = {
  poweron: { label: "Power on", question: "Power on" },
  poweroff: { label: "Power off", question: "Power off (the guest is asked to shut down)" },
  reboot: { label: "Reboot", question: "Reboot" },
  terminate: { label: "Terminate", question: "Terminate (its disk is deleted, this cannot be undone)" },
};

const allowed = (a: Action, state: string) =>
  a === "terminate" ? state !== "terminated" : (actionAllowedFrom[a] as readonly string[]).includes(state);

export function InstanceActions(props: { instance: Instance }) {
  const [asking, setAsking] = useState<Action | null>(null);
  const [backingUp, setBackingUp] = useState(false);
  const [moving, setMoving] = useState(false);
  const i = props.instance;
  const underWay = backupUnderWayOf(i) !== null;
  const run = async (a: Action) => {
    if (a === "terminate") await api("DELETE", `/instances/${i.id}`);
    else await api("PUT", `/instances/${i.id}/${a}`, {});
  };
  return (
    <span class="actions">
      {(Object.keys(words) as Action[])
        .filter((a) => (a === "terminate" || !underWay) && allowed(a, i.state))
        .map((a) => (
          <button
            type="button"
            class={a === "terminate" ? "danger small" : "small"}
            onClick={() => setAsking(a)}
          >
            {words[a].label}
          </button>
        ))}
      {backupOffered(i) && (
        <button type="button" class="small" onClick={() => setBackingUp(true)}>
          Create image
        </button>
      )}
      {moveOffered(i) && (
        <button type="button" class="small" onClick={() => setMoving(true)}>
          Move
        </button>
      )}
      {asking && (
        <Confirm
          title={`${words[asking].label} ${i.id}?`}
          message={`${words[asking].question}: ${i.display_name ?? i.hostname ?? i.id}.`}
          action={words[asking].label}
          onConfirm={() => run(asking)}
          onClose={() => setAsking(null)}
        />
      )}
      {backingUp && <BackupDialog instance={i} onClose={() => setBackingUp(false)} />}
      {moving && <MoveDialog instance={i} onClose={() => setMoving(false)} />}
    </span>
  );
}
