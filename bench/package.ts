// Packaging a seed image (issue 5, steps 26-28): a 30 GiB sparse raw disk
// (MBR, NTFS partition) holding ~2 GiB of data, half incompressible, half
// log-like text. Ours: the three step modules. The original: its commands one
// after the other (md5sum; tar czSf; tar xzf; relabel; tar czSf; md5sum;
// qemu-img convert; md5sum; gzip; md5sum), on the same input in the same run.
// The relabelling is the same code in both (the original attached a loop
// device with sudo, which a CI container may not have).
// Run: npm run bench:package [-- --size-gib 30 --data-gib 2]
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { BuildDir } from "../src/imagebuild/build-dir.js";
import { rootPartition } from "../src/imagebuild/disk-partitions.js";
import { hostDriver } from "../src/imagebuild/host-driver.js";
import { setNtfsLabel } from "../src/imagebuild/ntfs-label.js";
import { makeSimpleTarOfImage } from "../src/imagebuild/steps/26-make-simple-tar-of-image.js";
import { packageToWakameTgzImage } from "../src/imagebuild/steps/27-package-to-wakame-tgz-image.js";
import { packageToWakameQcow2Image } from "../src/imagebuild/steps/28-package-to-wakame-qcow2-image.js";
import { stepContext } from "../src/imagebuild/steps/context.js";
import { ntfsDisk } from "../test/helpers/ntfs.js";

const arg = (name: string, fallback: number) =>
  Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const sizeGib = arg("size-gib", 30);
const dataGib = arg("data-gib", 2);
const root = mkdtempSync(join(tmpdir(), "wakame-bench-package-"));
const sh = (cmd: string, cwd: string) => execFileSync("bash", ["-c", cmd], { cwd, stdio: "ignore" });
const timed = async (f: () => unknown) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

try {
  // The installed image: NTFS made by mkntfs, data in 64 MiB runs away from its own structures.
  const source = join(root, "win-2008.raw");
  ntfsDisk(source, "Windows", sizeGib * 1024);
  const chunk = 64 << 20;
  const pieces = Math.round((dataGib * 1024) / 64);
  const text = Buffer.alloc(
    chunk,
    "2026-11-24 10:15:00, Info CBS Loaded Servicing Stack v6.1.7601.17514\r\n",
  );
  const fd = openSync(source, "r+");
  const free = [
    [4.0, sizeGib / 2 - 0.5],
    [sizeGib / 2 + 0.5, sizeGib - 1],
  ];
  for (let i = 0; i < pieces; i++) {
    const [from, to] = free[i % 2]!;
    const gib = from! + (to! - from!) * (Math.floor(i / 2) / Math.ceil(pieces / 2));
    writeSync(fd, i % 4 < 2 ? randomBytes(chunk) : text, 0, chunk, Math.floor(gib * 1024) * (1 << 20));
  }
  closeSync(fd);

  const buildDir = (name: string) => {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "LABEL"), "2008\n");
    writeFileSync(join(dir, "WINIMG"), "win-2008.raw\n");
    writeFileSync(join(dir, "timestamp"), "261124-101500\n");
    execFileSync("cp", ["--sparse=always", source, join(dir, "win-2008.raw")]);
    return dir;
  };

  // The original's commands.
  const orig = buildDir("original");
  const seed = "windows2008r2.x86_64.kvm.md.raw";
  const o: Record<string, number> = {};
  o["26 md5sum"] = await timed(() => sh("md5sum win-2008.raw > win-2008.raw.md5", orig));
  o["26 tar czSf"] = await timed(() =>
    sh("tar czSf windows-2008-261124-101500.tar.gz win-2008.raw win-2008.raw.md5", orig),
  );
  const final = join(orig, "final-seed-image");
  mkdirSync(final);
  o["27 tar xzf"] = await timed(() => sh(`tar xzf ../windows-*.tar.gz && mv win-2008.raw ${seed}`, final));
  o["27 relabel"] = await timed(() => setNtfsLabel(join(final, seed), rootPartition, "root"));
  o["27 tar czSf"] = await timed(() => sh(`tar czSf ${seed}.tar.gz ${seed}`, final));
  o["27 md5sum"] = await timed(() => sh(`md5sum ${seed}.tar.gz > ${seed}.tar.gz.md5`, final));
  const qcow = "windows2008r2.x86_64.15071.qcow2";
  o["28 qemu-img convert"] = await timed(() => sh(`qemu-img convert -f raw -O qcow2 ${seed} ${qcow}`, final));
  o["28 md5sum qcow2"] = await timed(() => sh(`md5sum ${qcow} > ${qcow}.md5`, final));
  o["28 gzip"] = await timed(() => sh(`gzip ${qcow}`, final));
  o["28 md5sum gz"] = await timed(() => sh(`md5sum ${qcow}.gz > ${qcow}.gz.md5`, final));
  const originalTotal = Object.values(o).reduce((a, b) => a + b, 0);
  rmSync(orig, { recursive: true, force: true });

  // Ours.
  const ours = buildDir("ours");
  const ctx = stepContext(new BuildDir(ours), () => {}, { workspace: ours, env: {}, driver: hostDriver() });
  const s26 = await timed(() => makeSimpleTarOfImage(ctx));
  const s27 = await timed(() => packageToWakameTgzImage(ctx));
  const s28 = await timed(() => packageToWakameQcow2Image(ctx));
  const oursTotal = s26 + s27 + s28;

  // The floor: md5 of the whole image (holes included) cannot be split across
  // cores; compressing the data can. Both measured alone.
  const md5Floor = await timed(() => {
    const h = createHash("md5");
    const zeros = Buffer.alloc(4 << 20);
    for (let n = 0; n < sizeGib * 256; n++) h.update(zeros);
    h.digest();
  });
  const data = join(root, "data");
  const dfd = openSync(data, "w");
  for (let i = 0; i < pieces; i++) writeSync(dfd, i % 4 < 2 ? randomBytes(chunk) : text);
  closeSync(dfd);
  const gzFloor = await timed(() => sh(`pigz -c data > /dev/null`, root));
  const f = (s: number) => s.toFixed(1).padStart(7);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}`);
  console.log(`image: ${sizeGib} GiB sparse raw, ${dataGib} GiB of data (half random, half text)`);
  console.log("original's commands (s):");
  for (const [k, v] of Object.entries(o)) console.log(`  ${k.padEnd(22)}${f(v)}`);
  console.log(`  ${"total".padEnd(22)}${f(originalTotal)}`);
  console.log("ours (s):");
  console.log(`  ${"26".padEnd(22)}${f(s26)}`);
  console.log(`  ${"27".padEnd(22)}${f(s27)}`);
  console.log(`  ${"28".padEnd(22)}${f(s28)}`);
  console.log(`  ${"total".padEnd(22)}${f(oursTotal)}`);
  console.log(`speed-up: ${(originalTotal / oursTotal).toFixed(2)}x (goal >= 3x)`);
  console.log(
    `floor: md5 of the ${sizeGib} GiB image on one core ${md5Floor.toFixed(1)} s; compressing the ${dataGib} GiB of data on all cores ${gzFloor.toFixed(1)} s`,
  );
  // Read once and compress once, on all cores: the md5 thread and the
  // compressor overlap, so the longer of the two bounds the three steps.
  const floor = Math.max(md5Floor, gzFloor);
  console.log(
    `read once + compress once on all cores, at best: ~${floor.toFixed(1)} s; ours is ${(oursTotal / floor).toFixed(2)}x that`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
