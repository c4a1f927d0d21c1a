// A browser console, the host's end: the VM's VNC server stays on this host's
// loopback, and its bytes go through a WebSocket this agent opens to dcmgr
// (console-desk.ts on the other side), for as long as either end stays open.
import { connect } from "node:net";
import type { Duplex } from "node:stream";

export interface VncAddress {
  host: string;
  port: number;
}

/** Joins the VM's VNC server to the tunnel; resolves once both ends have closed. */
export async function runConsoleTunnel(vnc: VncAddress, tunnel: Duplex): Promise<void> {
  const server = connect(vnc.port, vnc.host);
  await new Promise<void>((resolve, reject) => {
    server.once("connect", resolve);
    server.once("error", reject);
  }).catch((err: Error) => {
    tunnel.destroy();
    throw new Error(`cannot reach the VM's VNC server at ${vnc.host}:${vnc.port}: ${err.message}`);
  });
  await new Promise<void>((resolve) => {
    const end = () => {
      server.destroy();
      tunnel.destroy();
      resolve();
    };
    for (const side of [server, tunnel]) side.once("close", end).once("error", end);
    server.pipe(tunnel).pipe(server);
  });
}
