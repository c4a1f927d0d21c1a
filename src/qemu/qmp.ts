// A QMP client (QEMU's JSON control protocol) over the VM's unix socket:
// commands with their answers, and events (SHUTDOWN, STOP, ...) as they come.
// The host agent sees a guest power off by the SHUTDOWN event, not by polling.
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(
    readonly errorClass: string,
    message: string,
  ) {
    super(message);
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private buffer = "";
  private isClosed = false;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  /** Resolves when the socket closes (QEMU exited or the client closed it). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    super();
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.isClosed = true;
        for (const p of this.pending.values()) p.reject(new Error("QMP connection closed"));
        this.pending.clear();
        this.emit("close");
        resolve();
      });
    });
    socket.on("data", (chunk) => this.receive(chunk.toString("utf8")));
    socket.on("error", () => {
      // A refused or reset socket shows as close; the callers see that.
    });
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no QMP answer on ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const client = new QmpClient(socket);
    await client.greeting;
    await client.execute("qmp_capabilities");
    return client;
  }

  private greetingResolve!: () => void;
  private readonly greeting = new Promise<void>((resolve) => {
    this.greetingResolve = resolve;
  });

  private receive(text: string): void {
    this.buffer += text;
    for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.message(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private message(m: Record<string, unknown>): void {
    if ("QMP" in m) {
      this.greetingResolve();
      return;
    }
    if ("event" in m) {
      this.emit("event", m as unknown as QmpEvent);
      return;
    }
    const id = String(m.id);
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if ("error" in m) {
      const e = m.error as { class: string; desc: string };
      waiting.reject(new QmpError(e.class, e.desc));
    } else {
      waiting.resolve(m.return);
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    // Nothing would ever answer it: QEMU has gone (a VM killed while a move polled it, say).
    if (this.isClosed) return Promise.reject(new Error(`QMP connection closed before ${command}`));
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args && { arguments: args }), id })}\n`);
    });
  }

  /** The next event named `name`, or a rejection after `timeoutMs` (or when the connection closes). */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    if (this.isClosed) return Promise.reject(new Error(`QMP connection closed before ${name}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${name} event within ${timeoutMs} ms`)), timeoutMs);
      const onEvent = (e: QmpEvent) => {
        if (e.event === name) done(undefined, e);
      };
      const onClose = () => done(new Error(`QMP connection closed before ${name}`));
      const done = (err?: Error, e?: QmpEvent) => {
        clearTimeout(timer);
        this.off("event", onEvent);
        this.off("close", onClose);
        if (err) reject(err);
        else resolve(e!);
      };
      this.on("event", onEvent);
      this.once("close", onClose);
    });
  }

  close(): void {
    this.socket.end();
  }
}

/** Connects, does `use`, and closes: one short conversation with a VM's QMP socket. */
export async function withQmp<T>(socket: string, use: (q: QmpClient) => Promise<T>): Promise<T> {
  const q = await QmpClient.connect(socket);
  try {
    return await use(q);
  } finally {
    q.close();
  }
}
