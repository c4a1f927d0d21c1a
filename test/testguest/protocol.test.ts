// The Linux test guest follows the guest protocol with real VMs (TCG): first
// boot makes, encrypts and writes the password and powers off; later boots
// configure the network and answer the login check; ACPI powers it off.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { collectPassword } from "../../src/hva/first-boot.js";
import { readMetadataFile, writeMetadataDrive } from "../../src/hva/metadata-drive.js";
import { metadataPaths } from "../../src/model/guest-protocol.js";
import { decryptPassword } from "../../src/model/password-crypto.js";
import { readPrivateKey } from "../../src/model/ssh-private-key.js";
import { qemuArgs } from "../../src/qemu/command.js";
import { QmpClient } from "../../src/qemu/qmp.js";
import { ensureTestGuest, type TestGuest } from "../../src/testguest/build.js";
import { firstBootMetadata, loginCheck } from "../../src/testguest/client.js";
import { freePort } from "../helpers/net.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("guest");
const running: ChildProcess[] = [];
let guest: TestGuest;
after(() => {
  for (const q of running) q.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
before(async () => {
  guest = await ensureTestGuest();
});

/**
 * Boots the instance's disk and metadata drive; resolves with QMP once it
 * answers, and the host port its 3389 is forwarded to. A port taken by
 * another process between our probe and QEMU's bind makes QEMU exit at once:
 * then another port is tried.
 */
async function boot(name: string, disk: string, metadata: string) {
  for (let attempt = 1; ; attempt++) {
    const hostPort = await freePort();
    try {
      return { ...(await bootOn(name, disk, metadata, hostPort)), port: hostPort };
    } catch (err) {
      if (attempt === 3 || !/host forwarding/.test((err as Error).message)) throw err;
    }
  }
}

async function bootOn(name: string, disk: string, metadata: string, hostPort: number) {
  const qmpSocket = join(dir, `${name}.qmp`);
  const mac = "52:54:00:12:34:56";
  const args = qemuArgs({
    name,
    cpuCores: 1,
    memoryMb: 256,
    accel: "tcg",
    disks: [
      { file: disk, format: "raw", bus: "virtio" },
      { file: metadata, format: "raw", bus: "virtio" },
    ],
    nics: [
      {
        mac,
        model: "virtio",
        backend: {
          kind: "user",
          network: { cidr: "10.0.2.0/24", gateway: "10.0.2.2", dns: "10.0.2.3" },
          guestAddress: "10.0.2.15",
          forwards: [{ protocol: "tcp", host_address: "127.0.0.1", host_port: hostPort, guest_port: 3389 }],
        },
      },
    ],
    qmpSocket,
    serialLog: join(dir, `${name}.serial.log`),
    rtcBase: "localtime",
  });
  rmSync(qmpSocket, { force: true });
  const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
  running.push(qemu);
  let stderr = "";
  qemu.stderr!.on("data", (d) => {
    stderr += d;
  });
  for (let i = 0; i < 100 && !existsSync(qmpSocket); i++) await new Promise((r) => setTimeout(r, 50));
  try {
    return { qemu, qmp: await QmpClient.connect(qmpSocket), serial: join(dir, `${name}.serial.log`) };
  } catch (err) {
    await new Promise((r) => (qemu.exitCode === null ? qemu.once("exit", r) : r(null)));
    throw new Error(`${(err as Error).message}; QEMU said: ${stderr.trim()}`);
  }
}

test("first boot makes the password, encrypts it for the key and powers off; later boots check it", async () => {
  const disk = join(dir, "disk.raw");
  copyFileSync(guest.disk, disk);
  const key = join(dir, "id_rsa");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", key]);
  const metadata = join(dir, "metadata.img");
  const content = firstBootMetadata(readFileSync(`${key}.pub`, "utf8"));
  await writeMetadataDrive(metadata, content);

  const first = await boot("first", disk, metadata);
  const shutdown = await first.qmp.waitForEvent("SHUTDOWN", 180_000);
  assert.deepEqual(shutdown.data, { guest: true, reason: "guest-shutdown" });
  first.qemu.kill();
  // The host's part of steps 7 and 9.
  const collected = await collectPassword(metadata, content.publicKey!);
  assert.ok(
    "encryptedPassword" in collected,
    `${JSON.stringify(collected)}\n${readFileSync(first.serial, "utf8").slice(-2000)}`,
  );
  const encrypted = Buffer.from(collected.encryptedPassword, "base64");
  assert.equal(encrypted.length, 256);
  assert.equal(await readMetadataFile(metadata, metadataPaths.firstBoot), undefined, "first-boot is gone");
  const password = decryptPassword(readPrivateKey(readFileSync(key, "utf8")), collected.encryptedPassword);
  assert.equal(password.length, 10);
  assert.ok(password.replace(/[A-Za-z0-9]/g, "").length >= 2, password);
  assert.match(password, /[A-Z]/);
  assert.match(password, /[a-z]/);
  assert.match(password, /[0-9]/);

  const second = await boot("second", disk, metadata);
  const port = second.port;
  assert.equal(await loginCheck(port, password, 120_000), "OK\n");
  assert.equal(await loginCheck(port, `${password}x`, 10_000), "DENIED\n");
  const serial = readFileSync(second.serial, "utf8");
  assert.match(serial, /wakame-testvm: eth0 52:54:00:12:34:56 10\.0\.2\.15/);
  assert.doesNotMatch(serial, /first boot/);

  const off = second.qmp.waitForEvent("SHUTDOWN", 60_000);
  await second.qmp.execute("system_powerdown");
  const offEvent = await off.catch((err: Error) => {
    throw new Error(`${err.message}; the guest said:\n${readFileSync(second.serial, "utf8").slice(-1500)}`);
  });
  assert.deepEqual(offEvent.data, { guest: true, reason: "guest-shutdown" });
  assert.deepEqual(
    await readMetadataFile(metadata, metadataPaths.encryptedPassword),
    encrypted,
    "pw.enc is left as it was",
  );
});
