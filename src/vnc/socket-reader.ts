// Reads exact byte counts from a socket: the RFB state machine asks for the
// bytes a message needs and waits until they have come. A closed or failed
// socket rejects the read under way and every read after it.
import type { Socket } from "node:net";

export class ConnectionClosed extends Error {}

export class SocketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiting: { size: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private ended: Error | undefined;

  constructor(socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      const w = this.waiting;
      if (w && this.buffered >= w.size) {
        this.waiting = undefined;
        w.resolve(this.take(w.size));
      }
    });
    const end = (err?: Error) => {
      this.ended ??= new ConnectionClosed(
        err ? `VNC connection failed: ${err.message}` : "VNC server closed the connection",
      );
      this.waiting?.reject(this.ended);
      this.waiting = undefined;
    };
    socket.on("error", end);
    socket.on("close", () => end());
  }

  read(size: number): Promise<Buffer> {
    if (this.buffered >= size) return Promise.resolve(this.take(size));
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.waiting = { size, resolve, reject };
    });
  }

  async u8(): Promise<number> {
    return (await this.read(1))[0]!;
  }
  async u16(): Promise<number> {
    return (await this.read(2)).readUInt16BE(0);
  }
  async u32(): Promise<number> {
    return (await this.read(4)).readUInt32BE(0);
  }

  private take(size: number): Buffer {
    this.buffered -= size;
    const first = this.chunks[0];
    if (first && first.length >= size) {
      if (first.length === size) this.chunks.shift();
      else this.chunks[0] = first.subarray(size);
      return first.subarray(0, size);
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length, size - at);
      c.copy(out, at, 0, n);
      at += n;
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    return out;
  }
}
