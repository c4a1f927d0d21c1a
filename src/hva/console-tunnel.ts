// A browser console, the host's end: the VM's VNC server (reached through
// the VM driver) joined to a WebSocket this agent opens to dcmgr
// (console-desk.ts on the other side), for as long as either end stays open.
import type { Duplex } from "node:stream";
import type { ConsoleTunnelRequest } from "../model/agent-contract.js";
import type { AgentApi } from "./agent-api.js";
import type { InstanceFiles } from "./instance-files.js";
import type { VmDriver } from "./vm/driver.js";

/**
 * Pipes each stream into the other; resolves once both have closed. Either
 * ending (or failing, or having ended already) ends both; errors are never thrown.
 */
export function joinStreams(a: Duplex, b: Duplex): Promise<void> {
  return new Promise<void>((resolve) => {
    const end = () => {
      a.destroy();
      b.destroy();
      resolve();
    };
    for (const side of [a, b]) side.on("error", end).once("close", end);
    if (a.destroyed || b.destroyed) end();
    else a.pipe(b).pipe(a);
  });
}

/** The tunnels open now, by tunnel id: dcmgr lists a tunnel until it is joined, and each is opened once. */
export class ConsoleTunnels {
  private readonly open = new Set<string>();

  constructor(
    private readonly api: AgentApi,
    private readonly vms: VmDriver,
    private readonly log: (line: string) => void,
  ) {}

  /** Connects a browser console to the VM's VNC server, in the background: it lasts as long as the page keeps it. */
  connect(files: InstanceFiles, tunnel: ConsoleTunnelRequest): void {
    if (this.open.has(tunnel.id)) return;
    this.open.add(tunnel.id);
    const id = files.id;
    const run = async () => {
      if (!(await this.vms.running(files))) throw new Error("its VM does not run");
      const page = await this.api.openConsoleTunnel(id, tunnel);
      // The page may go while the VM's console is reached: joinStreams then finds it destroyed.
      page.on("error", () => page.destroy());
      const vnc = await this.vms.openConsole(files).catch((err: Error) => {
        page.destroy();
        throw err;
      });
      this.log(`${id}: console opened in a browser`);
      await joinStreams(vnc, page);
      this.log(`${id}: console closed`);
    };
    run()
      .catch((err: Error) => this.log(`${id}: cannot open the console: ${err.message}`))
      .finally(() => this.open.delete(tunnel.id));
  }
}
