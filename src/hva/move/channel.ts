// The channel between two host agents for one move: the migration stream and
// the disks' NBD traffic (a cold move's files) go host to host, never through dcmgr and never where
// a tenant reaches. The destination listens on its management address for
// this move only, and splices a connection whose first line carries the
// move's token (model/move-handshake.ts) to its QEMU's unix socket for that
// stream. On the source, QEMU connects to a local unix socket, and each of
// its connections is carried to the destination with the first line put in
// front. Closing either end cuts every connection it carries: a move
// abandoned leaves nothing open.
import { rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { handshakeLimit, handshakeLine, type MoveStream, readHandshake } from "../../model/move-handshake.js";

/** How long a connection may take to say its first line. */
const handshakeMs = 5000;

export interface MoveEnd {
  /** The port it listens on (the destination's), or 0 (the source's unix socket). */
  port: number;
  /** Stops listening and cuts every connection it carries. */
  close(): Promise<void>;
}

/** Joins two sockets both ways; either's end or error ends both. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  for (const [s, other] of [
    [a, b],
    [b, a],
  ] as const) {
    s.on("error", () => other.destroy());
    s.on("close", () => other.destroy());
  }
}

function serve(server: Server, carried: Set<Socket>, listen: (done: () => void) => void): Promise<MoveEnd> {
  server.on("connection", (s) => {
    carried.add(s);
    s.on("close", () => carried.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    listen(() => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const s of carried) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * The destination's end: listens on `address` (port 0: any free one) and
 * splices each connection that names a stream and the token to that
 * stream's unix socket; any other connection is dropped, and `log` says why.
 */
export function listenForMove(o: {
  address: string;
  token: string;
  /** The unix socket of each stream this move has. */
  targets: Partial<Record<MoveStream, string>>;
  log: (line: string) => void;
}): Promise<MoveEnd> {
  const carried = new Set<Socket>();
  const server = createServer((peer) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => refuse("no first line in time"), handshakeMs);
    const refuse = (why: string) => {
      clearTimeout(timer);
      o.log(`move channel: a connection from ${peer.remoteAddress} dropped: ${why}`);
      peer.destroy();
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > handshakeLimit) refuse("a first line too long");
        return;
      }
      peer.off("data", onData);
      peer.pause();
      clearTimeout(timer);
      const asked = readHandshake(head.subarray(0, nl).toString("latin1"), o.token);
      if ("refused" in asked) return refuse(asked.refused);
      const target = o.targets[asked.stream];
      if (!target) return refuse(`no ${asked.stream} stream in this move`);
      const qemu = connect(target);
      carried.add(qemu);
      qemu.on("close", () => carried.delete(qemu));
      qemu.once("connect", () => {
        // What came after the first line is the stream's own beginning.
        if (nl + 1 < head.length) qemu.write(head.subarray(nl + 1));
        splice(peer, qemu);
        peer.resume();
      });
      qemu.once("error", () => peer.destroy());
    };
    peer.on("data", onData);
    peer.on("error", () => clearTimeout(timer));
  });
  return serve(server, carried, (done) => server.listen(0, o.address, done));
}

/**
 * The source's end for one stream: a unix socket at `socket` for its QEMU;
 * each connection QEMU makes is carried to the destination's `host`:`port`,
 * after the first line.
 */
export async function relayToMove(o: {
  socket: string;
  host: string;
  port: number;
  token: string;
  stream: MoveStream;
}): Promise<MoveEnd> {
  const carried = new Set<Socket>();
  const server = createServer((qemu) => {
    qemu.pause();
    const peer = connect(o.port, o.host);
    carried.add(peer);
    peer.on("close", () => carried.delete(peer));
    peer.setNoDelay(true);
    peer.once("connect", () => {
      peer.write(handshakeLine(o.token, o.stream));
      splice(qemu, peer);
      qemu.resume();
    });
    peer.once("error", () => qemu.destroy());
  });
  await rm(o.socket, { force: true });
  return serve(server, carried, (done) => server.listen(o.socket, done));
}
