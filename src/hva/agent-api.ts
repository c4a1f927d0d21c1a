// The host agent's only link to the rest of the cloud: dcmgr's agent API over
// HTTP, and for browser consoles a WebSocket the agent opens to dcmgr.
import type { Duplex } from "node:stream";
import { createWebSocketStream, WebSocket } from "ws";
import type { PortForward } from "../model/port-forward.js";

export interface WantedInstance {
  id: string;
  /** What this view of the instance is: every report is made against it. */
  revision: number;
  state: string;
  requested_action: string | null;
  cpu_cores: number;
  memory_size: number;
  os_type: string;
  hostname: string | null;
  ssh_public_key: string | null;
  user_data: string | null;
  password_stored: boolean;
  error: string | null;
  /** A user waits for a console screenshot. */
  screenshot_requested: boolean;
  /** Browser consoles waiting for this agent to connect the VM's VNC server to them. */
  console_tunnels: string[];
  image: {
    id: string;
    file_format: "raw" | "qcow2";
    features: Record<string, boolean>;
    is_cacheable: boolean;
    backup_object: {
      id: string;
      uri: string;
      container_format: "tgz" | "gz" | "tar" | "none";
      size: number;
      allocation_size: number;
      checksum: string;
    };
  };
  vifs: {
    id: string;
    index: number;
    mac_address: string;
    ipv4_address: string | null;
    netmask: string;
    gateway: string | null;
    dns: string | null;
  }[];
  security_group_rules: {
    protocol: string;
    from_port: number;
    to_port: number;
    source_cidr: string | null;
    source_group_id: string | null;
  }[];
}

export interface StateReport {
  state: string;
  /** A message sets the instance's error; "" clears it; absent leaves it. */
  error?: string;
  done_action?: string;
  port_forwards?: PortForward[][];
}

/** dcmgr refused a report: the instance changed since the agent read it (409). Nothing was written. */
export class OutdatedView extends Error {}

/** What dcmgr answers to a report it took: the instance's revision after it. */
export interface Taken {
  revision: number;
}

export class AgentApi {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  /** A Buffer body goes as image/png (screenshots), anything else as JSON. */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const png = Buffer.isBuffer(body);
    const res = await fetch(`${this.base}/api/agent/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body !== undefined && { "Content-Type": png ? "image/png" : "application/json" }),
      },
      body: body === undefined ? undefined : png ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 409) throw new OutdatedView(`dcmgr refused ${method} ${path}: ${text}`);
    if (!res.ok) throw new Error(`dcmgr answered ${method} ${path} with ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  heartbeat() {
    return this.call<{ host_node_id: string; node_id: string }>("POST", "/heartbeat");
  }
  instances() {
    return this.call<WantedInstance[]>("GET", "/instances");
  }
  /** Reports the state reached from `revision`, the instance's revision the agent acted on. */
  report(id: string, revision: number, report: StateReport) {
    return this.call<Taken>("PUT", `/instances/${id}/state`, { revision, ...report });
  }
  storePassword(id: string, revision: number, encryptedPassword: string) {
    return this.call<Taken>("PUT", `/instances/${id}/password`, {
      revision,
      encrypted_password: encryptedPassword,
    });
  }
  deliverScreenshot(id: string, png: Buffer) {
    return this.call("PUT", `/instances/${id}/screenshot`, png);
  }
  /** The agent's end of a console tunnel dcmgr asked for, once its WebSocket is open. */
  openConsoleTunnel(id: string, tunnel: string): Promise<Duplex> {
    const url = `${this.base.replace(/^http/, "ws")}/api/agent/v1/instances/${id}/console/${tunnel}`;
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${this.token}` } });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(createWebSocketStream(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) =>
        reject(new Error(`dcmgr refused the console tunnel with ${res.statusCode}`)),
      );
    });
  }
}
