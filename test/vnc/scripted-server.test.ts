// The messages QEMU's VNC server never sends — CopyRect, LastRect, a size
// change by ExtendedDesktopSize, Tight's palette and gradient filters,
// ZRLE's packed-palette and palette-run tiles — from a scripted RFB server
// (named so: a stand-in for servers we cannot run here), one of them
// speaking only RFB 3.3, each update checked pixel by pixel.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { constants, createDeflate, deflateSync } from "node:zlib";
import { RfbClient } from "../../src/vnc/rfb-client.js";

type Rgb = [number, number, number];
const red: Rgb = [255, 0, 0];
const blue: Rgb = [0, 0, 255];

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

interface ScriptedServer {
  address: string;
  /** Writes an update to the client, once it has set its encodings. */
  send(update: Buffer): void;
}

/** A server that does the handshake for a 4x4 screen, then sends what the test gives it. */
async function scriptedServer(version: "3.8" | "3.3"): Promise<ScriptedServer> {
  let ready: (socket: Socket) => void = () => {};
  const connected = new Promise<Socket>((r) => {
    ready = r;
  });
  const server = createServer((socket: Socket) => {
    let stage = 0;
    socket.write(`RFB 003.00${version.slice(2)}\n`);
    socket.on("data", (data) => {
      if (stage === 0) {
        stage = version === "3.3" ? 2 : 1;
        // 3.3: the server chooses security None; 3.8: it offers one type, None.
        socket.write(version === "3.3" ? Buffer.from([0, 0, 0, 1]) : Buffer.from([1, 1]));
      } else if (stage === 1) {
        stage = 2;
        socket.write(Buffer.alloc(4)); // security result: ok
      } else if (stage === 2) {
        stage = 3;
        const init = Buffer.alloc(30);
        init.writeUInt16BE(4, 0);
        init.writeUInt16BE(4, 2);
        init.writeUInt32BE(6, 20);
        init.write("script", 24);
        socket.write(init);
      } else if (stage === 3 && data.includes(2)) {
        stage = 4;
        ready(socket);
      }
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  return {
    address: `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    send: (u) => void connected.then((socket) => socket.write(u)),
  };
}

/** Sends each update and waits until the client has drawn it. */
async function play(server: ScriptedServer, client: RfbClient, ...updates: Buffer[]): Promise<void> {
  for (const u of updates) {
    const drawn = new Promise((resolve, reject) => {
      client.once("update", resolve);
      client.once("close", (err) => reject(err ?? new Error("the client closed the connection")));
    });
    server.send(u);
    await drawn;
  }
}

function rect(
  at: [number, number, number, number],
  encoding: number,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const b = Buffer.alloc(12);
  at.forEach((v, i) => {
    b.writeUInt16BE(v, i * 2);
  });
  b.writeInt32BE(encoding, 8);
  return Buffer.concat([b, body]);
}
function update(rects: Buffer[], count = rects.length): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(count, 2);
  return Buffer.concat([head, ...rects]);
}
/** Raw pixels, R G B X each. */
const raw = (pixels: Rgb[]) => Buffer.from(pixels.flatMap(([r, g, b]) => [r, g, b, 0]));
const pixelAt = (c: RfbClient, x: number, y: number) => {
  const o = (y * c.framebuffer.width + x) * 4;
  return [...c.framebuffer.data.subarray(o, o + 3)];
};

test("CopyRect copies a part of the screen; LastRect ends an update whose count is not given", async () => {
  const server = await scriptedServer("3.8");
  const c = await RfbClient.connect(server.address);
  await play(
    server,
    c,
    update([rect([0, 0, 2, 1], 0, raw([red, blue]))]),
    update([rect([2, 3, 2, 1], 1, Buffer.from([0, 0, 0, 0])), rect([0, 0, 0, 0], -224)], 0xffff),
  );
  assert.deepEqual([pixelAt(c, 2, 3), pixelAt(c, 3, 3)], [red, blue]);
  c.close();
});

test("ExtendedDesktopSize: the server's own change of size gives a new screen", async () => {
  const server = await scriptedServer("3.8");
  const c = await RfbClient.connect(server.address);
  const screens = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.alloc(16)]);
  await play(
    server,
    c,
    update([rect([0, 0, 8, 6], -308, screens)]),
    update([rect([7, 5, 1, 1], 0, raw([blue]))]),
  );
  assert.deepEqual([c.framebuffer.width, c.framebuffer.height], [8, 6]);
  assert.deepEqual(pixelAt(c, 7, 5), blue);
  c.close();
});

test("Tight: a two-colour palette, a gradient, and a fill", async () => {
  // Palette filter, 2 colours: 1 bit a pixel, rows padded to a byte; 2 bytes, sent as they are (under 12).
  const palette = Buffer.from([0x40, 1, 1, ...red, ...blue, 0b10100000, 0b01010000]);
  // Gradient filter over 2x2, through stream 1: each value less left + up - up-left (12 bytes: compressed).
  const want: Rgb[] = [
    [10, 20, 30],
    [12, 22, 32],
    [14, 24, 34],
    [20, 30, 40],
  ];
  const diffs = want.flatMap((p, i) =>
    p.map((v, ch) => {
      const left = i % 2 ? want[i - 1]![ch]! : 0;
      const up = i >= 2 ? want[i - 2]![ch]! : 0;
      const upLeft = i === 3 ? want[0]![ch]! : 0;
      return (v - Math.min(255, Math.max(0, left + up - upLeft))) & 255;
    }),
  );
  const z = deflateSync(Buffer.from(diffs));
  const gradient = Buffer.concat([Buffer.from([0x50, 2, z.length]), z]);
  const server = await scriptedServer("3.8");
  const c = await RfbClient.connect(server.address, { encodings: ["tight"] });
  await play(
    server,
    c,
    update([
      rect([0, 0, 4, 2], 7, palette),
      rect([0, 2, 2, 2], 7, gradient),
      rect([2, 2, 2, 2], 7, Buffer.from([0x80, 9, 8, 7])),
    ]),
  );
  const row0 = [0, 1, 2].map((x) => pixelAt(c, x, 0));
  assert.deepEqual([...row0, pixelAt(c, 0, 1), pixelAt(c, 1, 1)], [blue, red, blue, red, blue]);
  assert.deepEqual([pixelAt(c, 0, 2), pixelAt(c, 1, 2), pixelAt(c, 0, 3), pixelAt(c, 1, 3)], want);
  assert.deepEqual(pixelAt(c, 3, 3), [9, 8, 7]);
  c.close();
});

test("ZRLE over RFB 3.3: a packed-palette tile, then a palette-run tile, through one zlib stream", async () => {
  const deflate = createDeflate();
  const out: Buffer[] = [];
  deflate.on("data", (d: Buffer) => out.push(d));
  // Each rectangle's data: the stream flushed, with its length before it.
  const chunk = (body: Buffer) =>
    new Promise<Buffer>((resolve) => {
      deflate.write(body);
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        const z = Buffer.concat(out.splice(0));
        const length = Buffer.alloc(4);
        length.writeUInt32BE(z.length, 0);
        resolve(Buffer.concat([length, z]));
      });
    });
  // Palette of 2: a bit a pixel, a byte a row.
  const packed = await chunk(Buffer.from([2, ...red, ...blue, 0b10010000, 0b01100000, 0b11110000, 0]));
  // 130: palette RLE of 2 colours; a run of 15 blue (its length less one: 14), then one red.
  const runs = await chunk(Buffer.from([130, ...red, ...blue, 0x81, 14, 0x00]));
  const server = await scriptedServer("3.3");
  const c = await RfbClient.connect(server.address, { encodings: ["zrle"] });
  assert.equal(c.version, "3.3");
  await play(server, c, update([rect([0, 0, 4, 4], 16, packed)]));
  const packedPixels = [
    pixelAt(c, 0, 0),
    pixelAt(c, 1, 0),
    pixelAt(c, 3, 0),
    pixelAt(c, 1, 1),
    pixelAt(c, 0, 3),
  ];
  assert.deepEqual(packedPixels, [blue, red, blue, blue, red]);
  await play(server, c, update([rect([0, 0, 4, 4], 16, runs)]));
  assert.deepEqual([pixelAt(c, 0, 0), pixelAt(c, 2, 3), pixelAt(c, 3, 3)], [blue, blue, red]);
  c.close();
});

test("a rectangle past the screen's edge is a protocol error naming it, not pixels wrapped into the next row", async () => {
  for (const encoding of [0, 16]) {
    const server = await scriptedServer("3.8");
    const c = await RfbClient.connect(server.address);
    const closed = new Promise<Error | undefined>((done) => c.once("close", done));
    // The screen is 4x4: 3 pixels from x=2 run one past its right edge.
    server.send(update([rect([2, 1, 3, 1], encoding, raw([red, red, red]))]));
    const err = await closed;
    assert.match(
      err?.message ?? "",
      /the VNC server sent a rectangle 3x1\+2\+1 outside its 4x4 screen/,
      `encoding ${encoding}`,
    );
    assert.deepEqual(pixelAt(c, 0, 2), [0, 0, 0], "nothing wrapped into the next row");
  }
});
