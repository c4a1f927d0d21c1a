// One instance: what it is, its state history with times, its error, its
// newest backup, the Windows password and the console. The record follows
// the live feed; the history is read again whenever the record changes.
import { useEffect, useState } from "preact/hooks";
import { consoleStates } from "../../../src/model/instance-state.js";
import { api } from "../api/client.js";
import { type Instance, rdpEndpoint, type StateChange } from "../api/types.js";
import { BackupNote } from "../backup/backup-note.js";
import { megabytes } from "../components/format.js";
import type { ConsolePanel } from "../console/console-panel.js";
import { MoveNote } from "../move/move-note.js";
import { PasswordPanel } from "../password/password-panel.js";
import { useInstances } from "../state/instances.js";
import { InstanceActions } from "./instance-actions.js";

export function InstancePage(props: { id: string }) {
  const store = useInstances();
  const [fetched, setFetched] = useState<Instance | null>(null);
  const [missing, setMissing] = useState("");
  const [history, setHistory] = useState<{
    history: StateChange[];
    usual_first_boot_s: number | null;
  } | null>(null);
  // noVNC is most of the front end's code: it is loaded when a console is first opened, not with the page.
  const [Console, setConsole] = useState<typeof ConsolePanel | null>(null);
  const [consoleOpen, setConsoleOpen] = useState(false);
  const [consoleError, setConsoleError] = useState("");
  const openConsole = () =>
    import("../console/console-panel.js")
      .then((m) => {
        setConsole(() => m.ConsolePanel);
        setConsoleOpen(true);
      })
      .catch((err) => setConsoleError(`the console's code did not load: ${(err as Error).message}`));
  const i = store.get(props.id) ?? fetched;

  useEffect(() => {
    if (store.get(props.id)) return;
    api<Instance>("GET", `/instances/${props.id}`)
      .then(setFetched)
      .catch((err) => setMissing((err as Error).message));
  }, [props.id]);
  useEffect(() => {
    api<{ history: StateChange[]; usual_first_boot_s: number | null }>(
      "GET",
      `/instances/${props.id}/history`,
    )
      .then(setHistory)
      .catch(() => {});
  }, [props.id, i?.updated_at]);

  if (!i) return <p class={missing ? "error" : ""}>{missing || "Loading…"}</p>;
  const rdp = rdpEndpoint(i, location.hostname);
  const began = history?.history.find((h) => h.state === "initializing")?.at ?? null;
  return (
    <section>
      <header class="page">
        <h1>
          {i.id} {i.display_name && <small>{i.display_name}</small>}
        </h1>
        <span class={`state ${i.state}`} data-state={i.state} data-testid="state">
          {i.state}
        </span>
        <InstanceActions instance={i} />
      </header>
      {i.error && (
        <p class="error" role="alert" data-testid="instance-error">
          {i.error}
        </p>
      )}
      <BackupNote instance={i} showAvailable />
      <MoveNote instance={i} showDone />
      <div class="columns">
        <dl class="facts">
          <dt>Image</dt>
          <dd>
            {i.image_id} ({i.os_type})
          </dd>
          <dt>Size</dt>
          <dd>
            {i.instance_spec_name && `${i.instance_spec_name}: `}
            {i.cpu_cores} CPU, {megabytes(i.memory_size)}
          </dd>
          <dt>Host</dt>
          <dd>{i.host_node ?? "not placed"}</dd>
          <dt>Hostname</dt>
          <dd>{i.hostname}</dd>
          <dt>Address</dt>
          <dd>{i.address ?? ""}</dd>
          <dt>Remote desktop</dt>
          <dd>{rdp ? `${rdp.host}:${rdp.port}` : ""}</dd>
          <dt>SSH key</dt>
          <dd>{i.ssh_key_pair ? (i.ssh_key_pair.display_name ?? i.ssh_key_pair.uuid) : "none"}</dd>
          <dt>Security groups</dt>
          <dd>{[...new Set(i.vif.flatMap((v) => v.security_groups))].join(", ")}</dd>
        </dl>
        <div>
          <h2>State history</h2>
          <ol class="history" aria-label="State history">
            {(history?.history ?? []).map((h) => (
              <li>
                <time dateTime={h.at}>{new Date(h.at).toLocaleTimeString()}</time>{" "}
                <span class={`state ${h.state}`}>{h.state}</span> <small>{h.status}</small>{" "}
                {h.error && <small class="error">{h.error}</small>}
              </li>
            ))}
          </ol>
        </div>
      </div>
      <h2>Windows password</h2>
      <PasswordPanel
        instance={i}
        firstBoot={{ since: began, usualSeconds: history?.usual_first_boot_s ?? null }}
      />
      <h2>Console</h2>
      {consoleError && <p class="error">{consoleError}</p>}
      {consoleOpen && Console ? (
        <Console instance={i} onClose={() => setConsoleOpen(false)} />
      ) : (consoleStates as readonly string[]).includes(i.state) ? (
        <button type="button" onClick={openConsole}>
          Open console
        </button>
      ) : (
        <p>The console is there while the instance runs ({consoleStates.join(", ")}).</p>
      )}
    </section>
  );
}
