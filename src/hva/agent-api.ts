// The host agent's only link to the rest of the cloud: dcmgr's agent API over
// HTTP, and for browser consoles a WebSocket the agent opens to dcmgr.
import type { Duplex } from "node:stream";
import { createWebSocketStream, WebSocket } from "ws";
import {
  agentApiPrefix,
  type BackupReport,
  type ConsoleTunnelRequest,
  type HeartbeatAnswer,
  type HostState,
  type heartbeatShape,
  type passwordReportShape,
  type StateReport,
  type stateReportShape,
  type Taken,
} from "../model/agent-contract.js";
import type { HostCapabilities } from "../model/host-capabilities.js";
import type { MoveReport } from "../model/move.js";
import type { ShapeInput } from "../model/shape.js";
import { type Fetch, trustedFetch } from "../net/trusted-fetch.js";
import { addressTowards } from "./move/own-address.js";

export interface StateRead {
  /** The revision the agent has: dcmgr answers when the host's state is another, or when `wait` ends. */
  since?: string;
  /** Seconds dcmgr may wait for a change; 0 or none: at once. */
  wait?: number;
  /** Ends the wait early (the agent stopping). */
  signal?: AbortSignal;
}

/** dcmgr refused a report: the instance changed since the agent read it (409). Nothing was written. */
export class OutdatedView extends Error {}

/** Answers that mean this dcmgr cannot serve now (a proxy in front of a stopped one): another may. */
const unavailable = new Set([502, 503, 504]);

export class AgentApi {
  /** The index in `bases` of the dcmgr that answered last: calls go there first. */
  private current = 0;

  private readonly fetch: Fetch;

  /** `ca`: certificates to trust for https:// dcmgr URLs besides Node's own (trusted-fetch.ts). */
  constructor(
    private readonly bases: readonly string[],
    private readonly token: string,
    private readonly onFailover: (from: string, to: string) => void = () => {},
    private readonly ca?: readonly string[],
  ) {
    if (bases.length === 0) throw new Error("the agent needs at least one dcmgr URL");
    this.fetch = trustedFetch(ca);
  }

  private get base(): string {
    return this.bases[this.current]!;
  }

  /**
   * One request, to the current dcmgr, and to the next ones in turn while a
   * dcmgr cannot be reached or is unavailable: any dcmgr serves any host, so
   * a request goes through as long as one of them does.
   */
  private async send(init: RequestInit & { path: string }): Promise<Response> {
    let failure: Error | null = null;
    for (let tried = 0; tried < this.bases.length; tried++) {
      try {
        const res = await this.fetch(`${this.base}${agentApiPrefix}${init.path}`, init);
        if (!unavailable.has(res.status) || tried === this.bases.length - 1) return res;
        failure = new Error(`${this.base} answered ${res.status}`);
      } catch (err) {
        // Ended by the agent itself: no other dcmgr is tried.
        if (init.signal?.aborted) throw err;
        failure = err as Error;
      }
      if (this.bases.length > 1) {
        const from = this.base;
        this.current = (this.current + 1) % this.bases.length;
        this.onFailover(from, this.base);
      }
    }
    const cause = (failure as Error & { cause?: { code?: string } }).cause?.code ?? failure!.message;
    throw new Error(`no dcmgr answers (${this.bases.join(", ")}): ${cause}`);
  }

  /** A Buffer body goes as image/png (screenshots), anything else as JSON. */
  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const png = Buffer.isBuffer(body);
    const res = await this.send({
      path,
      method,
      signal,
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

  /** This host's address towards the dcmgr it talks to: where a move's destination listens. */
  ownAddress(): Promise<string> {
    return addressTowards(this.base);
  }

  /** Tells dcmgr this host is alive, and (once the agent knows them) what it can give a VM. */
  heartbeat(capabilities?: HostCapabilities) {
    const body: ShapeInput<typeof heartbeatShape> = capabilities ? { capabilities } : {};
    return this.call<HeartbeatAnswer>("POST", "/heartbeat", body);
  }
  /** The host's whole state; with `since` and `wait`, a long-poll that answers when it changes. */
  hostState(read: StateRead = {}) {
    const query = new URLSearchParams();
    if (read.since) query.set("since", read.since);
    if (read.wait) query.set("wait", String(read.wait));
    const path = query.size ? `/state?${query}` : "/state";
    return this.call<HostState>("GET", path, undefined, read.signal);
  }
  /** Reports the state reached from `revision`, the instance's revision the agent acted on. */
  report(id: string, revision: number, report: StateReport) {
    const body: ShapeInput<typeof stateReportShape> = { revision, ...report };
    return this.call<Taken>("PUT", `/instances/${id}/state`, body);
  }
  storePassword(id: string, revision: number, encryptedPassword: string) {
    const body: ShapeInput<typeof passwordReportShape> = { revision, encrypted_password: encryptedPassword };
    return this.call<Taken>("PUT", `/instances/${id}/password`, body);
  }
  /** How a backup of one of this host's instances goes (backup object `id`). */
  reportBackup(id: string, report: BackupReport) {
    return this.call("PUT", `/backup_objects/${id}`, report);
  }
  /** How a move of one of this host's instances goes, as its source or its destination (move `id`). */
  reportMove(id: string, report: MoveReport, signal?: AbortSignal) {
    return this.call("PUT", `/moves/${id}`, report, signal);
  }
  deliverScreenshot(id: string, png: Buffer) {
    return this.call("PUT", `/instances/${id}/screenshot`, png);
  }
  /**
   * The agent's end of a console tunnel dcmgr asked for, once its WebSocket
   * is open, at the dcmgr holding the page's socket: one of this agent's own
   * dcmgr URLs (the host token goes to no other), or the current one.
   */
  openConsoleTunnel(id: string, tunnel: ConsoleTunnelRequest): Promise<Duplex> {
    const base =
      tunnel.dcmgr === null ? this.base : this.bases.find((b) => b.replace(/\/+$/, "") === tunnel.dcmgr);
    if (!base)
      return Promise.reject(
        new Error(
          `the console waits at ${tunnel.dcmgr}, which is not one of this agent's --dcmgr URLs: add it`,
        ),
      );
    const url = `${base.replace(/^http/, "ws")}${agentApiPrefix}/instances/${id}/console/${tunnel.id}`;
    const socket = new WebSocket(url, {
      headers: { Authorization: `Bearer ${this.token}` },
      ...(this.ca && { ca: [...this.ca] }),
    });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(createWebSocketStream(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) =>
        reject(new Error(`dcmgr refused the console tunnel with ${res.statusCode}`)),
      );
    });
  }
}
