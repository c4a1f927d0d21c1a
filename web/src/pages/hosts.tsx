// Hosts: each host node's offered capacity and what its instances use of it.
import type { HostNode } from "../api/types.js";
import { megabytes } from "../components/format.js";
import { useList } from "../state/resource.js";

function Use(props: { used: number; offered: number; label: string }) {
  const pct = props.offered ? Math.round((props.used / props.offered) * 100) : 0;
  return (
    <div class="use">
      <meter min={0} max={props.offered} value={props.used} aria-label={`${props.label} in use`} />{" "}
      {props.label} ({pct}%)
    </div>
  );
}

export function HostsPage() {
  const hosts = useList<HostNode>("/host_nodes");
  return (
    <section>
      <header class="page">
        <h1>Hosts</h1>
        <button type="button" class="small" onClick={() => void hosts.reload()}>
          Read again
        </button>
      </header>
      {hosts.error && <p class="error">{hosts.error}</p>}
      <table class="list" aria-label="Hosts">
        <thead>
          <tr>
            <th>Host node</th>
            <th>Hypervisor</th>
            <th>CPU cores</th>
            <th>Memory</th>
            <th>Scheduling</th>
          </tr>
        </thead>
        <tbody>
          {(hosts.rows ?? []).map((h) => (
            <tr key={h.id}>
              <td>
                {h.id}
                <div class="sub">{h.node_id}</div>
              </td>
              <td>
                {h.hypervisor} ({h.arch})
              </td>
              <td>
                <Use
                  used={h.used_cpu_cores}
                  offered={h.offering_cpu_cores}
                  label={`${h.used_cpu_cores} of ${h.offering_cpu_cores}`}
                />
              </td>
              <td>
                <Use
                  used={h.used_memory_size}
                  offered={h.offering_memory_size}
                  label={`${megabytes(h.used_memory_size)} of ${megabytes(h.offering_memory_size)}`}
                />
              </td>
              <td>{h.scheduling_enabled ? "enabled" : "disabled"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
