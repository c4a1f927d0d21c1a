// Our RFB client against QEMU's own VNC server: every encoding draws the
// same framebuffer that QEMU's screendump saves, the 3.8, 3.7 and 3.3
// handshakes work with and without VNC authentication, a wrong password is
// refused in words, and the server takes keys by scancode.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Image } from "../../src/image/image.js";
import { decodePng, encodePng } from "../../src/image/png.js";
import { parseNeedle } from "../../src/needle/needle.js";
import { ensureStandinInstaller } from "../../src/testguest/standin-installer.js";
import { backoffDelays, connectWithRetry } from "../../src/vnc/connect.js";
import { desEncryptBlock } from "../../src/vnc/des.js";
import type { PixelEncoding } from "../../src/vnc/encodings.js";
import { parseAddress, RfbClient, VncError } from "../../src/vnc/rfb-client.js";
import { waitForScreen } from "../../src/vnc/screen-watch.js";
import { tempDir } from "../helpers/paths.js";
import { screenFrame } from "../helpers/pictures.js";
import { startVncVm, type VncVm } from "../helpers/vnc-vm.js";

const dirs = ["open", "locked", "resize"].map((name) => tempDir(`vnc-${name}`));
let open: VncVm;
let locked: VncVm;

before(async () => {
  const iso = await ensureStandinInstaller("2012", "none");
  open = await startVncVm(dirs[0]!, iso);
  locked = await startVncVm(dirs[1]!, iso, { password: "s3cret!x" });
});
after(async () => {
  await open?.stop();
  await locked?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const differing = (a: Image, b: Image): number => {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4)
    if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) n++;
  return n;
};

/** Waits until the client's framebuffer is QEMU's screen, pixel for pixel (a cursor blinks meanwhile). */
async function sameAsScreendump(client: RfbClient, vm: VncVm): Promise<void> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 120; i++) {
    await sleep(250);
    last = differing(client.framebuffer, await vm.screendump());
    if (last === 0) return;
  }
  assert.fail(`the framebuffer still differs from QEMU's screendump in ${last} pixels`);
}

for (const encoding of ["raw", "zrle", "tight", "copyRect"] as PixelEncoding[]) {
  test(`${encoding}: the framebuffer is QEMU's screen, pixel for pixel`, async () => {
    const client = await RfbClient.connect(open.address, { encodings: [encoding] });
    try {
      assert.equal(client.name, "QEMU (vnc-test)");
      await sameAsScreendump(client, open);
      assert.ok(client.updates > 0);
      assert.equal(client.scancodes, true, "QEMU takes keys by scancode");
    } finally {
      client.close();
    }
  });
}

test("DesktopSize: connected from QEMU's start, the client follows the BIOS's text screen to the guest's 1024x768", async () => {
  const vm = await startVncVm(dirs[2]!, await ensureStandinInstaller("2012", "none"));
  const client = await RfbClient.connect(vm.address);
  try {
    const sizes = [`${client.framebuffer.width}x${client.framebuffer.height}`];
    client.on("resize", (w, h) => sizes.push(`${w}x${h}`));
    for (let i = 0; client.framebuffer.width !== 1024; i++) {
      assert.ok(i < 480, `no 1024x768 screen: ${sizes.join(", ")}`);
      await sleep(250);
    }
    assert.ok(sizes.length >= 2 && sizes[0] !== "1024x768", sizes.join(", "));
    assert.equal(sizes.at(-1), "1024x768");
    await sameAsScreendump(client, vm);
  } finally {
    client.close();
    await vm.stop();
  }
});

test("the framebuffer saved as PNG reads back the same", async () => {
  const client = await RfbClient.connect(open.address);
  try {
    await sameAsScreendump(client, open);
    const png = encodePng(client.framebuffer);
    assert.equal(differing(decodePng(png), client.framebuffer), 0);
  } finally {
    client.close();
  }
});

for (const version of ["3.8", "3.7", "3.3"] as const) {
  test(`RFB ${version} with VNC authentication: the right password connects, a wrong one is refused`, async () => {
    const client = await RfbClient.connect(locked.address, { password: "s3cret!x", maxVersion: version });
    assert.equal(client.version, version);
    await sameAsScreendump(client, locked);
    client.close();
    await assert.rejects(
      RfbClient.connect(locked.address, { password: "wrong", maxVersion: version }),
      (e: Error) => e instanceof VncError && /refused the VNC password/.test(e.message),
    );
  });
}

test("a server that wants a password, asked without one, says so; a server that is not there too", async () => {
  await assert.rejects(RfbClient.connect(locked.address), /asks for a VNC password: give it/);
  const { port } = parseAddress(open.address);
  await assert.rejects(RfbClient.connect(`127.0.0.1:${port + 50}`, { timeoutMs: 2000 }), /VNC/);
});

test("waiting for a screen: a needle of the screen shown matches at once; another times out with its score", async () => {
  const client = await RfbClient.connect(open.address);
  try {
    await sameAsScreendump(client, open);
    // The stand-in's first line, "Windows Setup", in the top-left corner.
    const area = { xpos: 0, ypos: 0, width: 200, height: 16 };
    const shown = {
      ...parseNeedle({ tags: ["setup"], area: [area] }, "setup-title"),
      image: await open.screendump(),
    };
    const other = {
      ...parseNeedle({ tags: ["desktop"], area: [area] }, "desktop"),
      image: screenFrame(720, 400, 5),
    };
    const hit = await waitForScreen(client, [other, shown], { timeoutMs: 5000 });
    assert.equal(hit.matched?.needle.name, "setup-title");
    assert.ok(hit.waitedMs < 1000, `${hit.waitedMs} ms`);
    const miss = await waitForScreen(client, [other], { timeoutMs: 800 });
    assert.equal(miss.matched, undefined);
    assert.ok(miss.waitedMs >= 800);
    assert.equal(miss.candidates[0]!.needle.name, "desktop");
    assert.ok(miss.candidates[0]!.areas[0]!.similarity! < 0.96, "an exact score for the report");
  } finally {
    client.close();
  }
});

test("connecting again with a growing pause, and giving up in words", async () => {
  assert.deepEqual(backoffDelays(7), [100, 200, 400, 800, 1600, 2000]);
  const { port } = parseAddress(open.address);
  const started = Date.now();
  await assert.rejects(
    connectWithRetry(`127.0.0.1:${port + 60}`, { timeoutMs: 1000 }, 3),
    /cannot reach the VNC console at 127.0.0.1:\d+ after 3 tries/,
  );
  assert.ok(Date.now() - started >= 300);
  const client = await connectWithRetry(open.address);
  client.close();
});

test("VNC addresses: host:port, host:display, [v6]:port; anything else is refused", () => {
  assert.deepEqual(parseAddress("127.0.0.1:5901"), { host: "127.0.0.1", port: 5901 });
  assert.deepEqual(parseAddress("localhost:2"), { host: "localhost", port: 5902 });
  assert.deepEqual(parseAddress("[::1]:5900"), { host: "::1", port: 5900 });
  assert.throws(() => parseAddress("127.0.0.1"), /not a VNC address: give host:port/);
});

test("DES: the standard's example and random blocks agree with OpenSSL", () => {
  const key = Buffer.from("133457799BBCDFF1", "hex");
  assert.equal(
    desEncryptBlock(key, Buffer.from("0123456789ABCDEF", "hex")).toString("hex"),
    "85e813540f0ab405",
  );
  for (let i = 0; i < 10; i++) {
    const k = randomBytes(8);
    const block = randomBytes(8);
    const openssl = execFileSync(
      "openssl",
      ["enc", "-des-ecb", "-K", k.toString("hex"), "-nopad", "-provider", "legacy", "-provider", "default"],
      { input: block },
    );
    assert.equal(desEncryptBlock(k, block).toString("hex"), openssl.toString("hex"));
  }
});
