// A browser console, the host's end: the VM's VNC server is on a unix socket
// only the agent's user reaches, and its bytes go through a WebSocket this agent opens to dcmgr
// (console-desk.ts on the other side), for as long as either end stays open.
import { connect } from "node:net";
import type { Duplex } from "node:stream";

/** Joins the VM's VNC server (its unix socket) to the tunnel; resolves once both ends have closed. */
export async function runConsoleTunnel(vncSocket: string, tunnel: Duplex): Promise<void> {
  const server = connect(vncSocket);
  let failure: Error | null = null;
  let connected = false;
  const ended = new Promise<void>((resolve) => {
    const end = (err?: Error) => {
      failure ??= err ?? null;
      server.destroy();
      tunnel.destroy();
      resolve();
    };
    // Either end failing or closing ends both; errors are handled here, never thrown at the agent.
    for (const side of [server, tunnel]) side.on("error", end).once("close", () => end());
  });
  server.once("connect", () => {
    connected = true;
    server.pipe(tunnel).pipe(server);
  });
  await ended;
  if (!connected)
    throw new Error(
      `cannot reach the VM's VNC server at ${vncSocket}: ${(failure as Error | null)?.message ?? "it closed"}`,
    );
}
