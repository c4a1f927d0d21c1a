// The Move dialog (PUT /instances/:id/move): the scheduler's choice or a
// host named, among those taking instances. The instance is the live one,
// so the Move button follows its state: disabled with dcmgr's reason beside
// it while dcmgr would refuse. What only dcmgr can tell (no room there)
// comes back from the request. The progress is then the instance's (move-note.tsx).
import { useState } from "preact/hooks";
import { api } from "../api/client.js";
import type { HostNode, Instance } from "../api/types.js";
import { Alert } from "../components/alert.js";
import { FormFooter } from "../components/form-footer.js";
import { useFormRequest } from "../components/form-request.js";
import { Modal } from "../components/modal.js";
import { useList } from "../state/resource.js";
import { destinationsFor, moveBlocker, moveRequest } from "./move-rules.js";

export function MoveDialog(props: { instance: Instance; onClose: () => void }) {
  const i = props.instance;
  const hosts = useList<HostNode>("/host_nodes");
  const [destination, setDestination] = useState<string | null>(null);
  const { errors, general, busy, submit } = useFormRequest((f) => (f === "host_node_id" ? f : null));
  const blocker = moveBlocker(i, destination);
  const move = submit(blocker, async () => {
    await api("PUT", `/instances/${i.id}/move`, moveRequest(destination));
    props.onClose();
  });
  return (
    <Modal title={`Move ${i.id}`} onClose={props.onClose}>
      <form onSubmit={move}>
        <p>
          It goes on running while its memory and disk are copied to the other host, then runs there at the
          same address, with its security groups. If the move fails it runs on where it is.
        </p>
        <label>
          To
          <select
            name="host_node_id"
            value={destination ?? ""}
            onChange={(e) => setDestination(e.currentTarget.value || null)}
          >
            <option value="">the host the scheduler chooses</option>
            {destinationsFor(i, hosts.rows ?? []).map((h) => (
              <option value={h.id} key={h.id}>
                {h.display_name ? `${h.id} (${h.display_name})` : h.id}
              </option>
            ))}
          </select>
          <small class="sub">from {i.host_node}</small>
          {errors.host_node_id && (
            <small class="error" role="alert" id="host_node_id-error">
              {errors.host_node_id}
            </small>
          )}
        </label>
        <Alert message={general || hosts.error} />
        <FormFooter
          blocker={blocker}
          blockerId="move-blocker"
          busy={busy}
          action="Move"
          onCancel={props.onClose}
        />
      </form>
    </Modal>
  );
}
