// Launching the test guest as a Windows image (issue 4), median of 5, with the
// accelerator the host agent would choose (TCG on the build machines):
// - through the cloud: dcmgr and the host agent's loop, as `wakame up` runs
//   them; launch -> running, -> password stored, -> login check answers; and
//   the agent's own share of the first boot: from seeing QEMU exit to the
//   second boot started (password read and stored in between);
// - by hand, the floor: the same two boots run directly (QEMU to power-off,
//   pw.enc read with mtools, QEMU again until the login check answers), which
//   is what the guest itself needs. Ratio: cloud / by hand.
// Run: npm run bench:launch
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { collectPassword } from "../src/hva/first-boot.js";
import { ImageCache } from "../src/hva/image-cache.js";
import { createInstanceDisk } from "../src/hva/instance-disk.js";
import { writeMetadataDrive } from "../src/hva/metadata-drive.js";
import { qemuArgs } from "../src/qemu/command.js";
import { imagesDir } from "../src/store/config.js";
import { firstBootMetadata, loginCheck } from "../src/testguest/client.js";
import { packageTestGuest } from "../src/testguest/package.js";
import { startLocalCloud } from "./local-cloud.js";

const runs = 5;
const home = mkdtempSync(join(tmpdir(), "wakame-bench-launch-"));
// The whole run's state under one temporary WAKAME_HOME, on SQLite.
process.env.WAKAME_HOME = home;
delete process.env.DATABASE_URL;
const env = process.env;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(2);

const keyFile = join(home, "key");
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keyFile]);
const publicKey = readFileSync(`${keyFile}.pub`, "utf8");

try {
  // By hand: the two boots with nothing around them.
  const packaged = await packageTestGuest(imagesDir(env), () => {});
  const cache = new ImageCache(join(home, "hand-cache"));
  const base = await cache.get({
    id: "bo-testwin",
    storage_uri: `file://${imagesDir(env)}/`,
    object_key: packaged.objectKey,
    container_format: "tgz",
    checksum: packaged.checksum,
    allocation_size: packaged.allocationSize,
  });
  const byHand: { firstBoot: number; login: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(home, "hand-"));
    const disk = await createInstanceDisk(base, "raw", join(dir, "disk.qcow2"), true);
    const drive = join(dir, "metadata.img");
    await writeMetadataDrive(drive, firstBootMetadata(publicKey));
    const port = 20000 + i;
    const args = qemuArgs({
      name: "by-hand",
      cpuCores: 1,
      memoryMb: 1024,
      accel: "tcg",
      disks: [
        { file: disk.file, format: "qcow2", bus: "virtio" },
        { file: drive, format: "raw", bus: "virtio" },
      ],
      nics: [
        {
          mac: "52:54:00:12:34:56",
          model: "virtio",
          backend: {
            kind: "user",
            network: { cidr: "10.0.2.0/24", gateway: "10.0.2.2", dns: "10.0.2.3" },
            guestAddress: "10.0.2.15",
            forwards: [{ protocol: "tcp", host_address: "127.0.0.1", host_port: port, guest_port: 3389 }],
          },
        },
      ],
      qmpSocket: join(dir, "qmp.sock"),
      serialLog: join(dir, "serial.log"),
      rtcBase: "localtime",
    });
    const t0 = performance.now();
    await new Promise((r) => spawn("qemu-system-x86_64", args, { stdio: "ignore" }).on("exit", r));
    const firstBoot = performance.now() - t0;
    const collected = await collectPassword(drive, publicKey);
    if (!("encryptedPassword" in collected)) throw new Error(collected.error);
    const second = spawn("qemu-system-x86_64", args, { stdio: "ignore" });
    while ((await loginCheck(port, "x", 1000)) === "") await sleep(50);
    const login = performance.now() - t0;
    second.kill("SIGKILL");
    byHand.push({ firstBoot, login });
    rmSync(dir, { recursive: true, force: true });
  }

  // Through the cloud.
  const events: { at: number; line: string }[] = [];
  const cloudApi = await startLocalCloud(home, env, (line) => events.push({ at: performance.now(), line }));
  const call = cloudApi.call;
  const key = (await call("POST", "/ssh_key_pairs.json", { public_key: publicKey })).id;
  const group = (await call("POST", "/security_groups.json", { rule: "tcp:3389,3389,ip4:0.0.0.0" })).id;
  const cloud: { running: number; password: number; login: number; agentShare: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const id = (
      await call("POST", "/instances.json", {
        image_id: "wmi-testwin",
        instance_spec_name: "kvm.small",
        ssh_key_id: key,
        security_groups: [group],
      })
    ).id;
    let password = 0;
    let running = 0;
    let shown = await call("GET", `/instances/${id}.json`);
    while (!running) {
      shown = await call("GET", `/instances/${id}.json`);
      if (shown.state === "halted") throw new Error(`${id} failed: ${shown.error}`);
      if (!password && shown.password_ready) password = performance.now() - t0;
      if (shown.state === "running") running = performance.now() - t0;
      await sleep(20);
    }
    const hostPort = shown.vif[0].port_forwards[0].host_port;
    while ((await loginCheck(hostPort, "x", 1000)) === "") await sleep(50);
    const login = performance.now() - t0;
    const exited = events.find((e) => e.line === `${id}: QEMU exited`)!.at;
    const started = events.filter((e) => e.line.startsWith(`${id}: QEMU started`))[1]!.at;
    cloud.push({ running, password, login, agentShare: started - exited });
    await call("DELETE", `/instances/${id}.json`);
    while ((await call("GET", `/instances/${id}.json`)).state !== "terminated") await sleep(50);
  }
  await cloudApi.stop();

  const m = (xs: number[]) => median(xs);
  const handLogin = m(byHand.map((r) => r.login));
  const cloudLogin = m(cloud.map((r) => r.login));
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, accelerator tcg`);
  console.log(`median of ${runs} (s)            cloud   by hand`);
  console.log(`first boot powered off         -       ${seconds(m(byHand.map((r) => r.firstBoot)))}`);
  console.log(`launch -> password stored      ${seconds(m(cloud.map((r) => r.password)))}    -`);
  console.log(`launch -> running              ${seconds(m(cloud.map((r) => r.running)))}    -`);
  console.log(`launch -> login check answers  ${seconds(cloudLogin)}   ${seconds(handLogin)}`);
  console.log(`ratio cloud / by hand (login): ${(cloudLogin / handLogin).toFixed(2)}x`);
  console.log(
    `agent's share (QEMU exit seen -> password stored -> second boot started): median ${seconds(
      m(cloud.map((r) => r.agentShare)),
    )} s, max ${seconds(Math.max(...cloud.map((r) => r.agentShare)))} s (goal < 2 s)`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
