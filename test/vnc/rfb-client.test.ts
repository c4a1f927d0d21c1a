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
import { ensureStandinInstaller } from "../../src/testguest/standin-installer.js";
import { desEncryptBlock } from "../../src/vnc/des.js";
import type { PixelEncoding } from "../../src/vnc/encodings.js";
import { parseAddress, RfbClient, VncError } from "../../src/vnc/rfb-client.js";
import { tempDir } from "../helpers/paths.js";
import { startVncVm, type VncVm } from "../helpers/vnc-vm.js";

const dir = tempDir("vnc");
let open: VncVm;
let locked: VncVm;

before(async () => {
  const iso = await ensureStandinInstaller("2012", "none");
  open = await startVncVm(tempDir("vnc-open"), iso);
  locked = await startVncVm(tempDir("vnc-locked"), iso, "s3cret!x");
});
after(async () => {
  await open?.stop();
  await locked?.stop();
  rmSync(dir, { recursive: true, force: true });
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
