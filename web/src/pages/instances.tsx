// Instances: every instance of the account with its state, address, remote
// desktop endpoint, image and spec, and a backup under way or failed, kept
// current by the live feed.
import { useState } from "preact/hooks";
import { rdpEndpoint } from "../api/types.js";
import { BackupNote } from "../backup/backup-note.js";
import { megabytes } from "../components/format.js";
import { LaunchDialog } from "../launch/launch-dialog.js";
import { MoveNote } from "../move/move-note.js";
import { useInstances } from "../state/instances.js";
import { InstanceActions } from "./instance-actions.js";

export function InstancesPage() {
  const store = useInstances();
  const [launching, setLaunching] = useState(false);
  const [showTerminated, setShowTerminated] = useState(false);
  const rows = store
    .all()
    .filter((i) => showTerminated || i.state !== "terminated")
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  return (
    <section>
      <header class="page">
        <h1>Instances</h1>
        <label class="inline">
          <input
            type="checkbox"
            checked={showTerminated}
            onChange={(e) => setShowTerminated(e.currentTarget.checked)}
          />
          show terminated
        </label>
        <button type="button" class="primary" onClick={() => setLaunching(true)}>
          Launch Instance
        </button>
      </header>
      {!store.loaded ? (
        <p>Loading…</p>
      ) : rows.length === 0 ? (
        <p>No instances yet: launch one.</p>
      ) : (
        <table class="list" aria-label="Instances">
          <thead>
            <tr>
              <th>Instance</th>
              <th>State</th>
              <th>Address</th>
              <th>Remote desktop</th>
              <th>Image</th>
              <th>Spec</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => {
              const rdp = i.os_type === "windows" ? rdpEndpoint(i, location.hostname) : null;
              return (
                <tr key={i.id} data-instance={i.id}>
                  <td>
                    <a href={`#/instances/${i.id}`}>{i.id}</a>
                    {i.display_name && <div class="sub">{i.display_name}</div>}
                  </td>
                  <td>
                    <span class={`state ${i.state}`} data-state={i.state}>
                      {i.state}
                    </span>
                    {i.error && <div class="sub error">{i.error}</div>}
                    <BackupNote instance={i} />
                    <MoveNote instance={i} />
                  </td>
                  <td>{i.address ?? ""}</td>
                  <td>{rdp ? `${rdp.host}:${rdp.port}` : ""}</td>
                  <td>{i.image_id}</td>
                  <td>
                    {i.instance_spec_name && `${i.instance_spec_name}: `}
                    {i.cpu_cores} CPU, {megabytes(i.memory_size)}
                  </td>
                  <td>
                    <InstanceActions instance={i} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {launching && (
        <LaunchDialog
          onClose={() => setLaunching(false)}
          onLaunched={(id) => {
            setLaunching(false);
            location.hash = `#/instances/${id}`;
          }}
        />
      )}
    </section>
  );
}
