// A cold move's files between two instance directories, over the real move
// channel (TCP on 127.0.0.1, the token's handshake) with GNU tar: the halted
// instance's overlay (its own data over its image), metadata drive,
// variable store, TPM state and marks arrive whole, the overlay pointed at
// the destination's own copy of the image; a channel cut mid-way and a
// stream that is not what its manifest says leave nothing in place.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { backingOf } from "../../src/hva/instance-disk.js";
import { InstanceFiles } from "../../src/hva/instance-files.js";
import { listenForMove, relayToMove } from "../../src/hva/move/channel.js";
import { receiveFiles, sendFiles } from "../../src/hva/move/files-transfer.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("files-transfer");
after(() => rmSync(dir, { recursive: true, force: true }));
const token = "cd".repeat(32);

/** A base image in a host's cache, and an instance's directory with an overlay of it and what a halted UEFI instance has. */
function hostWithInstance(host: string, base: string | null, written: number) {
  const cache = join(dir, host, "cache");
  mkdirSync(cache, { recursive: true });
  const image = join(cache, "base.raw");
  if (base) copyFileSync(base, image);
  else writeFileSync(image, randomBytes(4 << 20));
  const files = new InstanceFiles("i-moving01", join(dir, host, "i-moving01"));
  mkdirSync(files.tpmState, { recursive: true });
  execFileSync("qemu-img", [
    "create",
    "-q",
    "-f",
    "qcow2",
    "-F",
    "raw",
    "-b",
    image,
    files.disk("qcow2"),
    "128M",
  ]);
  if (written)
    execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P 0x6b 1M ${written}M`, files.disk("qcow2")], {
      stdio: "ignore",
    });
  writeFileSync(files.metadataDrive, randomBytes(64 << 10));
  writeFileSync(files.efiVars, randomBytes(128 << 10));
  writeFileSync(join(files.tpmState, "tpm2-00.permall"), randomBytes(9000));
  return { files, image };
}

async function channel(name: string, destination: InstanceFiles) {
  const receiver = await receiveFiles({
    socket: destination.moveSockets.files,
    staging: destination.moveStaging,
  });
  const listener = await listenForMove({
    address: "127.0.0.1",
    token,
    targets: { files: destination.moveSockets.files },
    log: () => {},
  });
  const relay = join(dir, `${name}-relay.sock`);
  const out = await relayToMove({
    socket: relay,
    host: "127.0.0.1",
    port: listener.port,
    token,
    stream: "files",
  });
  return {
    receiver,
    listener,
    relay,
    close: async () => {
      await out.close();
      await listener.close();
      await receiver.close();
    },
  };
}

test("a halted instance's files arrive whole; the overlay is pointed at the destination's own image", async () => {
  const source = hostWithInstance("a", null, 8);
  await source.files.firstBootPending(true);
  const destination = hostWithInstance("b", source.image, 0);
  const c = await channel("whole", destination.files);
  const progress: number[] = [];
  const names = await source.files.carried();
  assert.deepEqual(names, ["disk.qcow2", "metadata.img", "efivars.fd", "tpm", "first-boot.pending"]);
  await sendFiles({
    dir: source.files.dir,
    names,
    socket: c.relay,
    onProgress: (p) => progress.push(p),
    stallMs: 30_000,
    answerMs: 60_000,
  });
  await destination.files.takeArrived(await c.receiver.arrived);
  await c.close();

  const [src, dst] = [source.files, destination.files];
  for (const f of [src.metadataDrive, src.efiVars, join(src.tpmState, "tpm2-00.permall")])
    assert.ok(readFileSync(f).equals(readFileSync(f.replace(src.dir, dst.dir))), f);
  assert.equal((await dst.marks()).firstBootPending, true, "its marks came too");
  assert.deepEqual(await backingOf(dst.disk("qcow2")), { file: destination.image, format: "raw" });
  const compared = spawnSync("qemu-img", ["compare", "-q", src.disk("qcow2"), dst.disk("qcow2")]);
  assert.equal(compared.status, 0, `the same disk, its own data and the image's: ${compared.stderr}`);
  assert.equal(existsSync(dst.moveStaging), false, "nothing left staged");
  assert.equal(existsSync(join(src.dir, "move-manifest.json")), false, "nor at the source");
  assert.ok(progress.length > 0 && progress.every((p, i) => p <= 99 && (i === 0 || p >= progress[i - 1]!)));
});

test("the channel cut while the files go: both sides fail, nothing is put in place", async () => {
  const source = hostWithInstance("c", null, 96);
  const destination = hostWithInstance("d", source.image, 0);
  const before = readFileSync(destination.files.metadataDrive);
  const c = await channel("cut", destination.files);
  let cut = false;
  const sent = sendFiles({
    dir: source.files.dir,
    names: await source.files.carried(),
    socket: c.relay,
    stallMs: 30_000,
    answerMs: 60_000,
    onProgress: (p) => {
      if (p > 0 && !cut) {
        cut = true;
        void c.listener.close();
      }
    },
  });
  await assert.rejects(sent, /the destination/);
  await assert.rejects(c.receiver.arrived, /did not come whole|stream was cut|did not come/);
  await c.close();
  assert.ok(readFileSync(destination.files.metadataDrive).equals(before), "its own files untouched");
});

test("a stream that is not what its manifest says is refused, with why, to the source", async () => {
  const destination = hostWithInstance("e", null, 0);
  const receiver = await receiveFiles({
    socket: destination.files.moveSockets.files,
    staging: destination.files.moveStaging,
  });
  // A sender that slips a link in beside what its manifest lists.
  const crafted = join(dir, "crafted");
  mkdirSync(crafted);
  writeFileSync(join(crafted, "metadata.img"), "x");
  symlinkSync("/etc/passwd", join(crafted, "efivars.fd"));
  writeFileSync(
    join(crafted, "move-manifest.json"),
    JSON.stringify([
      {
        name: "metadata.img",
        size: 1,
        sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
      },
    ]),
  );
  const archive = execFileSync("tar", [
    "-c",
    "-C",
    crafted,
    "metadata.img",
    "efivars.fd",
    "move-manifest.json",
  ]);
  const answer = await new Promise<string>((resolve) => {
    const s = connect(destination.files.moveSockets.files);
    let said = "";
    // As the source does, it does not end its side: the answer comes back on it.
    s.on("connect", () => s.write(archive));
    s.on("data", (d) => {
      said += d;
    });
    s.on("close", () => resolve(said));
  });
  assert.equal(answer, "FAILED efivars.fd is neither a file nor a directory: it is not carried\n");
  await assert.rejects(receiver.arrived, /efivars.fd is neither a file nor a directory/);
  await receiver.close();
});

test("a destination gone silent (it takes nothing): the source gives up once nothing went for the stall's time", async () => {
  const source = hostWithInstance("f", null, 32);
  // A receiver that accepts and never reads, as behind a dead link.
  const silent = join(dir, "silent.sock");
  const held: Socket[] = [];
  const server = createServer((s) => {
    s.pause();
    held.push(s);
  });
  await new Promise<void>((r) => server.listen(silent, r));
  const t0 = Date.now();
  await assert.rejects(
    sendFiles({
      dir: source.files.dir,
      names: await source.files.carried(),
      socket: silent,
      onProgress: () => {},
      stallMs: 2000,
      answerMs: 60_000,
    }),
    /^Error: nothing went to the destination for 2 s/,
  );
  assert.ok(Date.now() - t0 < 30_000);
  for (const s of held) s.destroy();
  server.close();
});
