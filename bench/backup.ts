// Backing an instance up (issue 25): its disk as the host agent has it, a
// qcow2 overlay over the cached image (a 30 GiB sparse raw disk), holding
// 2 GiB of data in all (7/8 in the image, 1/8 written since by the guest;
// half incompressible, half log-like text). Ours: the agent's writeBackup
// (the overlay and its image read in place, packed as a gzipped sparse tar
// on every core with its md5, into a file:// storage). What a user would otherwise run, in the same run on the
// same disk: `qemu-img convert -c -O qcow2` and `md5sum` of the result.
// Run: npm run bench:backup [-- --size-gib 30 --data-gib 2]
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { writeBackup } from "../src/hva/backup/write-backup.js";

const arg = (name: string, fallback: number) =>
  Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const sizeGib = arg("size-gib", 30);
const dataGib = arg("data-gib", 2);
const root = mkdtempSync(join(tmpdir(), "wakame-bench-backup-"));
const timed = async (f: () => unknown) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};
const chunk = 64 << 20;
const text = Buffer.alloc(chunk, "2026-12-06 10:15:00, Info CBS Loaded Servicing Stack v10.0.20348.2227\r\n");
const dataAt = (i: number) => (i % 4 < 2 ? randomBytes(chunk) : text);

try {
  // The cached image: data in 64 MiB runs spread over the disk.
  const base = join(root, "image.raw");
  execFileSync("truncate", ["-s", `${sizeGib}G`, base]);
  const pieces = Math.round((dataGib * 1024) / 64);
  const inImage = Math.round((pieces * 7) / 8);
  const fd = openSync(base, "r+");
  for (let i = 0; i < inImage; i++) {
    const at = Math.floor(((sizeGib - 1) * 1024 * i) / inImage) * (1 << 20);
    writeSync(fd, dataAt(i), 0, chunk, at);
  }
  closeSync(fd);
  // The instance's disk: an overlay, with what its guest wrote since (some over the image's data).
  const disk = join(root, "disk.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", base, disk]);
  for (let i = inImage; i < pieces; i++) {
    const at = Math.floor(((sizeGib - 1) * 1024 * (i - inImage + 0.5)) / (pieces - inImage)) * (1 << 20);
    execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P ${0x41 + (i % 26)} ${at} ${chunk}`, disk], {
      stdio: "ignore",
    });
  }
  execFileSync("sync");

  const storage = join(root, "storage");
  mkdirSync(storage);
  let ours = { size: 0, allocationSize: 0, checksum: "" };
  const oursS = await timed(async () => {
    ours = await writeBackup({
      disk: { file: disk, format: "qcow2" },
      efiVars: null,
      target: { storage_uri: `file://${storage}/`, object_key: "bo-bench.raw.tar.gz" },
      work: join(root, "work"),
      progress: () => {},
    });
  });

  const theirs = join(root, "theirs.qcow2");
  const convertS = await timed(() =>
    execFileSync("qemu-img", ["convert", "-c", "-O", "qcow2", disk, theirs], { stdio: "ignore" }),
  );
  const md5S = await timed(() => execFileSync("md5sum", [theirs], { stdio: "ignore" }));
  const theirsS = convertS + md5S;

  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2);
  const row = (name: string, s: number, out: number) =>
    `| ${name} | ${s.toFixed(1)} | ${((dataGib * 1024) / s).toFixed(0)} | ${((sizeGib * 1024) / s).toFixed(0)} | ${gib(out)} |`;
  console.log(
    `backup of a ${sizeGib} GiB disk (qcow2 overlay on a sparse raw image) holding ${dataGib} GiB of data; ${cpus().length} cores`,
  );
  console.log("| | seconds | data MiB/s | disk MiB/s | output GiB |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(
    row("ours: writeBackup (overlay and image read in place, packed, md5)", oursS, ours.allocationSize),
  );
  console.log(row("qemu-img convert -c + md5sum", theirsS, statSync(theirs).size));
  console.log(`(qemu-img convert -c ${convertS.toFixed(1)} s, md5sum ${md5S.toFixed(1)} s)`);
  console.log(`ratio (theirs / ours): ${(theirsS / oursS).toFixed(2)}x`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
