// Browser consoles travel like screenshots (screenshots.ts): dcmgr never
// connects to a host. A user's page gets a ticket for an instance it owns,
// opens its WebSocket with it, and waits here; the instance's agent sees the
// tunnel in its host's state (GET /state), connects the VM's loopback VNC
// server to a WebSocket of its own to the dcmgr the tunnel names (with its
// host token), and the two sockets are joined byte for byte. Tickets and
// tunnels are rows of the store (0008-desks), so a ticket issued by one
// dcmgr is good at another and every agent sees every tunnel; the page's
// socket stays in the process it reached, which the tunnel's row names.
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import type { Kysely } from "kysely";
import type { WebSocket } from "ws";
import type { Database } from "../store/schema.js";
import { hashToken } from "./caller.js";

interface Waiting {
  instanceId: string;
  socket: WebSocket;
  /** The page's bytes, kept from the start: nothing it sends before the agent comes is lost. */
  browser: Duplex;
  timer: NodeJS.Timeout;
}

export interface ConsoleDeskOptions {
  /** How this dcmgr is reached by agents (an entry of their --dcmgr); null: by the agent's current one. */
  agentUrl: string | null;
  /** How long a ticket may wait before its WebSocket opens. */
  ticketMs: number;
  /** How long a browser waits for the agent to open its end. */
  agentMs: number;
}

export class ConsoleDesk {
  private readonly waiting = new Map<string, Waiting>();
  private readonly o: ConsoleDeskOptions;

  constructor(
    private readonly db: Kysely<Database>,
    options: Partial<ConsoleDeskOptions> = {},
  ) {
    this.o = { agentUrl: null, ticketMs: 30_000, agentMs: 15_000, ...options };
  }

  /** A one-time ticket for a console of this instance (the caller has checked that the account owns it). */
  async issue(instanceId: string): Promise<{ ticket: string; expiresInS: number }> {
    const now = new Date();
    await this.db.deleteFrom("console_tickets").where("expires_at", "<=", now.toISOString()).execute();
    const ticket = randomBytes(32).toString("base64url");
    await this.db
      .insertInto("console_tickets")
      .values({
        ticket_hash: hashToken(ticket),
        instance_id: instanceId,
        expires_at: new Date(now.getTime() + this.o.ticketMs).toISOString(),
      })
      .execute();
    return { ticket, expiresInS: this.o.ticketMs / 1000 };
  }

  /** Uses the ticket up: true if it was issued for this instance and is still valid. */
  async redeem(ticket: string, instanceId: string): Promise<boolean> {
    const used = await this.db
      .deleteFrom("console_tickets")
      .where("ticket_hash", "=", hashToken(ticket))
      .returning(["instance_id", "expires_at"])
      .executeTakeFirst();
    return (
      used !== undefined && used.instance_id === instanceId && used.expires_at > new Date().toISOString()
    );
  }

  /**
   * Holds the page's socket until the agent joins it; `onTimeout` if the
   * agent does not come. `browser` is the socket's stream, made by the caller
   * before it awaited anything, so that no message is lost meanwhile.
   */
  async wait(instanceId: string, socket: WebSocket, browser: Duplex, onTimeout: () => void): Promise<void> {
    // Gone already while the caller looked the instance up: there is nobody to wait for.
    if (socket.readyState !== socket.OPEN) return;
    const tunnel = randomBytes(16).toString("hex");
    const forget = () => {
      clearTimeout(timer);
      this.waiting.delete(tunnel);
      void this.db
        .deleteFrom("console_tunnels")
        .where("id", "=", tunnel)
        .execute()
        .catch(() => {});
    };
    const timer = setTimeout(() => {
      forget();
      onTimeout();
    }, this.o.agentMs);
    // A page gone while it waits ends the wait, and nothing else (its stream is never read until joined,
    // so the socket's own close tells, not the stream's).
    socket.once("close", forget);
    this.waiting.set(tunnel, { instanceId, socket, browser, timer });
    const stale = new Date(Date.now() - 2 * this.o.agentMs).toISOString();
    await this.db.deleteFrom("console_tunnels").where("created_at", "<", stale).execute();
    await this.db
      .insertInto("console_tunnels")
      .values({
        id: tunnel,
        instance_id: instanceId,
        dcmgr_url: this.o.agentUrl,
        created_at: new Date().toISOString(),
      })
      .execute();
  }

  /** Joins the agent's socket (and its stream, made as `wait`'s is) to the waiting page's; false when no such tunnel waits here. */
  join(instanceId: string, tunnel: string, agentSocket: WebSocket, agent: Duplex): boolean {
    const w = this.waiting.get(tunnel);
    if (!w || w.instanceId !== instanceId) return false;
    clearTimeout(w.timer);
    this.waiting.delete(tunnel);
    void this.db
      .deleteFrom("console_tunnels")
      .where("id", "=", tunnel)
      .execute()
      .catch(() => {});
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
