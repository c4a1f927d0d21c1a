// A running test guest moved between two real QEMU processes (TCG) with its
// local disks, through the move channel over TCP, as two hosts do it: its
// counter never stops nor starts again, its disk's overlay and metadata
// drive arrive whole, a UEFI guest's TPM still holds its NV value on the
// destination; and a move that fails (the destination killed while the disks
// copy, the channel cut while memory goes, the hand-over refused) leaves the
// guest running on the source, untouched.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeMetadataDrive } from "../../src/hva/metadata-drive.js";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { runMovedIn, sendMove } from "../../src/hva/vm/live-move.js";
import { startSwtpm } from "../../src/hva/vm/swtpm.js";
import { ensureTestGuest, type TestGuest } from "../../src/testguest/build.js";
import { firstBootMetadata } from "../../src/testguest/client.js";
import { count, moveLab, movingDisks, vmStatus } from "../helpers/move-lab.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("live-move");
/** dcmgr's leave to hand the guest over, given (the agent asks it: run-move.ts). */
const granted = async () => {};
const lab = moveLab(dir);
const { startVm, tpmFiles, sourceFiles, destinationFiles, channel } = lab;
let guest: TestGuest;
before(async () => {
  guest = await ensureTestGuest();
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a running BIOS guest moves with its overlay and metadata drive; its counter goes on", async () => {
  const base = join(dir, "base.raw");
  copyFileSync(guest.disk, base);
  const src = await sourceFiles("src", base, { size: "256M", written: 8 });
  const source = await startVm("src", src);
  const before = await count(source);
  const dstFiles = destinationFiles("dst", base, src);
  const destination = await startVm("dst", dstFiles, { incoming: true });
  const { out, stall } = await channel("a", destination);
  const progress: number[] = [];
  const figures = await sendMove(source.qmp, {
    nbdSocket: out.nbd,
    migrationSocket: out.migration,
    disks: movingDisks,
    mayHandOver: granted,
    maxBandwidth: 1 << 30,
    stall,
    timeoutMs: 180_000,
    onProgress: (p) => progress.push(p),
  });
  await runMovedIn(destination.qmp, 30_000);
  assert.equal(await vmStatus(source), "postmigrate", "the source's guest stays paused");
  assert.equal(await vmStatus(destination), "running");
  assert.ok(figures.totalMs > 0 && figures.downtimeMs >= 0, JSON.stringify(figures));
  assert.ok(progress.length > 0 && progress.every((p, i) => p >= 0 && p <= 99 && (i === 0 || p >= 0)));
  assert.equal(progress.at(-1), 99);
  source.qemu.kill("SIGKILL");

  const moved = await count(destination, 60_000);
  assert.ok(moved.n > before.n, `the counter went on: ${before.n} then ${moved.n}`);
  assert.ok(moved.uptime > before.uptime, `no boot since: uptime ${before.uptime} then ${moved.uptime}`);
  assert.doesNotMatch(
    readFileSync(destination.serial, "utf8"),
    /Linux version/,
    "the destination booted nothing",
  );

  await destination.qmp.execute("quit");
  await new Promise((r) => (destination.qemu.exitCode === null ? destination.qemu.once("exit", r) : r(null)));
  // The overlay's own data came (allocated in the destination's overlay, not read through its base).
  const size = statSync(base).size;
  const map = JSON.parse(
    execFileSync("qemu-img", ["map", "--output=json", dstFiles.disk], { encoding: "utf8" }),
  ) as { start: number; length: number; depth: number; data: boolean }[];
  const tail = 256 * 2 ** 20 - 8 * 2 ** 20;
  const inOverlay = map
    .filter((e) => e.depth === 0 && e.data)
    .reduce(
      (n, e) => n + Math.max(0, Math.min(e.start + e.length, tail + 8 * 2 ** 20) - Math.max(e.start, tail)),
      0,
    );
  assert.equal(
    inOverlay,
    8 * 2 ** 20,
    `the written 8 MiB are in the destination's overlay: ${JSON.stringify(map.filter((e) => e.start >= size))}`,
  );
  execFileSync("qemu-io", ["-f", "qcow2", "-c", `read -P 0x5a ${tail} 8M`, dstFiles.disk], {
    stdio: "ignore",
  });
  assert.ok(
    readFileSync(src.metadata).equals(readFileSync(dstFiles.metadata)),
    "the metadata drive came whole",
  );
});

test("a UEFI guest with a TPM moves with its variables and the TPM's state: the NV value it wrote is there", async () => {
  const base = join(dir, "uefi-base.raw");
  copyFileSync(guest.uefiDisk, base);
  const src = await sourceFiles("usrc", base, { firstBoot: true });
  const vars = join(dir, "usrc-vars.fd");
  copyFileSync(debianOvmf.emptyVars, vars);
  const tpm = tpmFiles("usrc");
  // First boot: the guest writes a value into its TPM's NV index, makes its password and powers off.
  await startSwtpm(tpm);
  const first = await startVm("usrc-first", src, { uefiVars: vars, tpm });
  await first.qmp.waitForEvent("SHUTDOWN", 400_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${readFileSync(first.serial, "utf8").slice(-2000)}`);
  });
  first.qemu.kill("SIGKILL");
  const wrote = /tpm-nv wrote ([0-9a-f]+)/.exec(readFileSync(first.serial, "utf8"))?.[1];
  assert.ok(wrote, readFileSync(first.serial, "utf8").slice(-1500));
  // As hva does once it has the password: the next boots are not first boots.
  await writeMetadataDrive(src.metadata, firstBootMetadata(src.publicKey, { firstBoot: false }));

  await startSwtpm(tpm);
  const source = await startVm("usrc", src, { uefiVars: vars, tpm });
  const before = await count(source, 400_000);
  assert.match(readFileSync(source.serial, "utf8"), new RegExp(`tpm-nv holds ${wrote}`));

  const dstFiles = destinationFiles("udst", base, src);
  const dstVars = join(dir, "udst-vars.fd");
  copyFileSync(debianOvmf.emptyVars, dstVars);
  const dstTpm = tpmFiles("udst");
  await startSwtpm(dstTpm, { incoming: true });
  const destination = await startVm("udst", dstFiles, { incoming: true, uefiVars: dstVars, tpm: dstTpm });
  const { out, stall } = await channel("u", destination);
  await sendMove(source.qmp, {
    nbdSocket: out.nbd,
    migrationSocket: out.migration,
    disks: movingDisks,
    mayHandOver: granted,
    maxBandwidth: 1 << 30,
    stall,
    timeoutMs: 180_000,
    onProgress: () => {},
  });
  await runMovedIn(destination.qmp, 30_000);
  source.qemu.kill("SIGKILL");
  const moved = await count(destination, 60_000);
  assert.ok(moved.n > before.n && moved.uptime > before.uptime, JSON.stringify({ before, moved }));

  // A reboot there reads the TPM the state came to, and the variable store QEMU wrote from the stream.
  await destination.qmp.execute("system_reset");
  await count(destination, 400_000).catch(() => undefined);
  for (let i = 0; i < 600 && !/tpm-nv holds/.test(readFileSync(destination.serial, "utf8")); i++)
    await new Promise((r) => setTimeout(r, 500));
  assert.match(readFileSync(destination.serial, "utf8"), new RegExp(`tpm-nv holds ${wrote}`));
  assert.ok(existsSync(join(dstTpm.tpmState, "tpm2-00.permall")), "the destination's swtpm keeps the state");
  assert.ok(
    !readFileSync(dstVars).equals(readFileSync(debianOvmf.emptyVars)),
    "the variables were written there",
  );
});

test("the destination killed while the disks copy, the channel cut while memory goes, the destination gone silent, or the hand-over refused: the guest runs on at the source, untouched", async () => {
  const base = join(dir, "fault-base.raw");
  copyFileSync(guest.disk, base);
  const src = await sourceFiles("fsrc", base, { size: "1G", written: 400 });
  const source = await startVm("fsrc", src);
  const before = await count(source);
  const leftovers = async () => ({
    jobs: await source.qmp.execute<unknown[]>("query-block-jobs"),
    nodes: (await source.qmp.execute<{ "node-name": string }[]>("query-named-block-nodes"))
      .map((n) => n["node-name"])
      .filter((n) => n.startsWith("move-")),
  });

  // 1. Killed while the 400 MiB copy.
  const d1 = await startVm("fdst1", destinationFiles("fdst1", base, src), { incoming: true });
  const c1 = await channel("f1", d1);
  let killed = false;
  const failed = await sendMove(source.qmp, {
    nbdSocket: c1.out.nbd,
    migrationSocket: c1.out.migration,
    disks: movingDisks,
    mayHandOver: granted,
    maxBandwidth: 1 << 30,
    stall: c1.stall,
    timeoutMs: 180_000,
    onProgress: (p) => {
      if (p >= 1 && !killed) {
        killed = true;
        d1.qemu.kill("SIGKILL");
      }
    },
  }).then(
    () => null,
    (err: Error) => err,
  );
  assert.ok(killed, "the copy was under way");
  assert.ok(failed, "the move failed");
  assert.equal(await vmStatus(source), "running");
  assert.deepEqual(await leftovers(), { jobs: [], nodes: [] });

  // 2. The channel cut while memory goes (slowed so that it is still going).
  const d2 = await startVm("fdst2", destinationFiles("fdst2", base, src), { incoming: true });
  const c2 = await channel("f2", d2);
  const watching = (async () => {
    for (;;) {
      const m = await source.qmp.execute<{ status: string }>("query-migrate");
      if (m.status === "active") return c2.listener.close();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const cut = await sendMove(source.qmp, {
    nbdSocket: c2.out.nbd,
    migrationSocket: c2.out.migration,
    disks: movingDisks,
    mayHandOver: granted,
    maxBandwidth: 4 << 20,
    timeoutMs: 180_000,
    onProgress: () => {},
    stall: c2.stall,
  }).then(
    () => null,
    (err: Error) => err,
  );
  await watching;
  assert.ok(cut, "the move failed");
  assert.equal(await vmStatus(source), "running");
  assert.deepEqual(await leftovers(), { jobs: [], nodes: [] });

  // 3. The destination gone silent while memory goes (its QEMU stopped, as behind a dead link):
  // nothing moves for the stall's time, the channel is cut and the move given up.
  const d3 = await startVm("fdst3", destinationFiles("fdst3", base, src), { incoming: true });
  const c3 = await channel("f3", d3, 3000);
  const silencing = (async () => {
    for (;;) {
      const m = await source.qmp.execute<{ status: string }>("query-migrate");
      if (m.status === "active") return d3.qemu.kill("SIGSTOP");
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const t0 = Date.now();
  const stalled = await sendMove(source.qmp, {
    nbdSocket: c3.out.nbd,
    migrationSocket: c3.out.migration,
    disks: movingDisks,
    mayHandOver: granted,
    maxBandwidth: 4 << 20,
    timeoutMs: 180_000,
    onProgress: () => {},
    stall: c3.stall,
  }).then(
    () => null,
    (err: Error) => err,
  );
  await silencing;
  d3.qemu.kill("SIGKILL");
  assert.match(stalled?.message ?? "", /^nothing went to the destination for 3 s while migrating/);
  assert.ok(Date.now() - t0 < 60_000, "given up in seconds, not after TCP's minutes");
  assert.equal(await vmStatus(source), "running");
  assert.deepEqual(await leftovers(), { jobs: [], nodes: [] });

  // 4. All copied, the guest paused, and the hand-over refused (the move failed meanwhile: a dcmgr
  // restarted): the guest runs on here, and the destination never has it whole.
  const d4 = await startVm("fdst4", destinationFiles("fdst4", base, src), { incoming: true });
  const c4 = await channel("f4", d4);
  let asked = false;
  const refused = await sendMove(source.qmp, {
    nbdSocket: c4.out.nbd,
    migrationSocket: c4.out.migration,
    disks: movingDisks,
    mayHandOver: async () => {
      asked = true;
      const status = await vmStatus(source);
      assert.ok(["paused", "finish-migrate"].includes(status), `asked while the guest is paused: ${status}`);
      throw new Error("the move failed already");
    },
    maxBandwidth: 1 << 30,
    timeoutMs: 180_000,
    onProgress: () => {},
    stall: c4.stall,
  }).then(
    () => null,
    (err: Error) => err,
  );
  assert.ok(asked, "the leave was asked");
  assert.equal(refused?.message, "the move failed already");
  assert.equal(await vmStatus(source), "running");
  assert.deepEqual(await leftovers(), { jobs: [], nodes: [] });
  // QEMU ends an incoming migration cut short: the destination never had the guest whole, nor ran it.
  const gone = await new Promise<boolean>((done) => {
    if (d4.qemu.exitCode !== null || d4.qemu.signalCode !== null) return done(true);
    d4.qemu.once("exit", () => done(true));
    setTimeout(() => done(false), 30_000);
  });
  assert.ok(gone, "the destination's QEMU gave the incoming migration up");
  const after = await count(source, 60_000);
  assert.ok(after.n > before.n && after.uptime > before.uptime, JSON.stringify({ before, after }));
});
