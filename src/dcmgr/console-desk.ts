// Browser consoles travel like screenshots (screenshots.ts): dcmgr never
// connects to a host. A user's page gets a ticket for an instance it owns,
// opens its WebSocket with it, and waits here; the instance's agent sees the
// tunnel in its next read of GET /state, connects the VM's loopback VNC
// server to a WebSocket of its own to dcmgr (with its host token), and the
// two sockets are joined byte for byte. In memory, as tickets live seconds
// and tunnels live as long as their sockets.
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";

interface Ticket {
  instanceId: string;
  expiresAt: number;
}

interface Waiting {
  instanceId: string;
  socket: WebSocket;
  /** The page's bytes, kept from the start: nothing it sends before the agent comes is lost. */
  browser: Duplex;
  timer: NodeJS.Timeout;
}

export class ConsoleDesk {
  private readonly tickets = new Map<string, Ticket>();
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    /** Called when a tunnel starts waiting: the host's long-poll must answer. */
    private readonly onWaiting: () => void,
    /** How long a ticket may wait before its WebSocket opens. */
    private readonly ticketMs = 30_000,
    /** How long a browser waits for the agent to open its end. */
    private readonly agentMs = 15_000,
  ) {}

  /** A one-time ticket for a console of this instance (the caller has checked that the account owns it). */
  issue(instanceId: string): { ticket: string; expiresInS: number } {
    const now = Date.now();
    for (const [t, v] of this.tickets) if (v.expiresAt <= now) this.tickets.delete(t);
    const ticket = randomBytes(32).toString("base64url");
    this.tickets.set(ticket, { instanceId, expiresAt: now + this.ticketMs });
    return { ticket, expiresInS: this.ticketMs / 1000 };
  }

  /** Uses the ticket up: true if it was issued for this instance and is still valid. */
  redeem(ticket: string, instanceId: string): boolean {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return t !== undefined && t.instanceId === instanceId && t.expiresAt > Date.now();
  }

  /**
   * Holds the page's socket until the agent joins it; `onTimeout` if the
   * agent does not come. `browser` is the socket's stream, made by the caller
   * before it awaited anything, so that no message is lost meanwhile.
   */
  wait(instanceId: string, socket: WebSocket, browser: Duplex, onTimeout: () => void): void {
    // Gone already while the caller looked the instance up: there is nobody to wait for.
    if (socket.readyState !== socket.OPEN) return;
    const tunnel = randomBytes(16).toString("hex");
    const timer = setTimeout(() => {
      this.waiting.delete(tunnel);
      onTimeout();
    }, this.agentMs);
    // A page gone while it waits ends the wait, and nothing else (its stream is never read until joined,
    // so the socket's own close tells, not the stream's).
    socket.once("close", () => {
      clearTimeout(timer);
      this.waiting.delete(tunnel);
    });
    this.waiting.set(tunnel, { instanceId, socket, browser, timer });
    this.onWaiting();
  }

  /** The tunnels of this instance that wait for its agent. */
  requested(instanceId: string): string[] {
    return [...this.waiting].filter(([, w]) => w.instanceId === instanceId).map(([t]) => t);
  }

  /** Joins the agent's socket (and its stream, made as `wait`'s is) to the waiting page's; false when no such tunnel waits. */
  join(instanceId: string, tunnel: string, agentSocket: WebSocket, agent: Duplex): boolean {
    const w = this.waiting.get(tunnel);
    if (!w || w.instanceId !== instanceId) return false;
    clearTimeout(w.timer);
    this.waiting.delete(tunnel);
    w.browser.pipe(agent).pipe(w.browser);
    const end = () => {
      w.socket.terminate();
      agentSocket.terminate();
    };
    for (const side of [w.browser, agent]) side.on("error", end);
    for (const socket of [w.socket, agentSocket]) socket.once("close", end);
    return true;
  }
}
