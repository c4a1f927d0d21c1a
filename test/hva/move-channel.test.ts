// The channel between two agents for a move, over real TCP and unix sockets:
// what the source's QEMU writes to its local socket arrives at the
// destination's socket for that stream, both ways; a connection without the
// move's token, or naming no stream, or silent, reaches nothing; closing an
// end cuts what it carries.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { listenForMove, relayToMove } from "../../src/hva/move/channel.js";
import { handshakeLine } from "../../src/model/move-handshake.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("move-channel");
after(() => rmSync(dir, { recursive: true, force: true }));
const token = "ab".repeat(32);

/** A stand-in for the destination QEMU's socket: it answers each connection with its name, then echoes. */
async function qemuSocket(name: string): Promise<{ server: Server; path: string; got: Socket[] }> {
  const path = join(dir, `${name}.sock`);
  const got: Socket[] = [];
  const server = createServer((s) => {
    got.push(s);
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { server, path, got };
}

/** The destination's end in front of two stand-in sockets (named with `suffix`), and what it logged. */
async function destinationEnd(suffix: string) {
  const [migration, nbd] = [await qemuSocket(`migration${suffix}`), await qemuSocket(`nbd${suffix}`)];
  const logged: string[] = [];
  const destination = await listenForMove({
    address: "127.0.0.1",
    token,
    targets: { migration: migration.path, nbd: nbd.path },
    log: (l) => logged.push(l),
  });
  return { migration, nbd, logged, destination };
}

/** Connects, writes `first`, and resolves with all the peer said once it closes or after `ms`. */
function talk(to: { port: number } | { path: string }, first: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = "path" in to ? connect(to.path) : connect(to.port, "127.0.0.1");
    let said = "";
    s.on("connect", () => s.write(first));
    s.on("data", (d) => {
      said += d;
    });
    const t = setTimeout(() => s.destroy(), ms);
    s.on("close", () => {
      clearTimeout(t);
      resolve(said);
    });
    s.on("error", () => {});
  });
}

test("a source's local socket reaches the destination's socket of its stream, both ways, bytes after the first line included", async () => {
  const { migration, nbd, logged, destination } = await destinationEnd("");
  const source = await relayToMove({
    socket: join(dir, "out-nbd.sock"),
    host: "127.0.0.1",
    port: destination.port,
    token,
    stream: "nbd",
  });
  // A megabyte each way, as a disk's blocks would go.
  const block = Buffer.alloc(1 << 20, 7);
  const said = await new Promise<Buffer>((resolve) => {
    const s = connect(join(dir, "out-nbd.sock"));
    const chunks: Buffer[] = [];
    let n = 0;
    s.on("data", (d) => {
      chunks.push(d);
      n += d.length;
      if (n >= 4 + block.length) {
        s.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    s.on("connect", () => s.write(block));
  });
  assert.equal(said.subarray(0, 4).toString(), "nbd\n");
  assert.ok(said.subarray(4).equals(block), "the echo came back whole");
  assert.equal(migration.got.length, 0, "nothing reached the migration socket");

  // A first line and the stream's first bytes in one packet: the bytes are not lost.
  assert.equal(await talk(destination, `${handshakeLine(token, "migration")}QEVM`), "migration\nQEVM");
  await source.close();
  await destination.close();
  for (const s of [migration, nbd]) s.server.close();
  assert.deepEqual(logged, []);
});

test("without the move's token, with no stream, or silent, a connection reaches nothing and is dropped", async () => {
  const { migration, nbd, logged, destination } = await destinationEnd("2");
  assert.equal(await talk(destination, handshakeLine("cd".repeat(32), "nbd")), "");
  assert.equal(await talk(destination, `WAKAME-MOVE qmp ${token}\n`), "");
  assert.equal(await talk(destination, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
  assert.equal(await talk(destination, "x".repeat(4096)), "", "a first line too long");
  assert.equal(await talk(destination, "", 6500), "", "silent: dropped after its 5 s");
  assert.equal(migration.got.length + nbd.got.length, 0, "nothing reached QEMU's sockets");
  assert.deepEqual(
    logged.map((l) => l.replace(/^.*dropped: /, "")),
    [
      "not this move's token",
      "no stream 'qmp'",
      "not a move's first line",
      "a first line too long",
      "no first line in time",
    ],
  );
  await destination.close();
  for (const s of [migration, nbd]) s.server.close();
});

test("closing the destination's end cuts the connections it carries, and it takes no more", async () => {
  const { migration, nbd, destination } = await destinationEnd("3");
  const s = connect(destination.port, "127.0.0.1");
  s.on("error", () => {});
  s.write(handshakeLine(token, "migration"));
  await new Promise((r) => s.once("data", r));
  const closed = new Promise((r) => s.once("close", r));
  await destination.close();
  await closed;
  assert.equal(await talk(destination, handshakeLine(token, "migration")), "", "nothing listens");
  for (const x of [migration, nbd]) x.server.close();
});
