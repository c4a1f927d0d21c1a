// Disk ready for a launch (issue 4): a cached 30 GiB sparse image holding
// ~1 GiB of data. The original extracted the image's raw.tar.gz for every
// launch (GNU tar -xzSf); we make a qcow2 overlay on the cached base.
// Also shown: filling the cache once (md5 + unpack), which is per host, not per launch.
// Run: npm run bench:disk [-- --size-gib 30 --data-gib 1]
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ImageCache } from "../src/hva/image-cache.js";
import { createInstanceDisk } from "../src/hva/instance-disk.js";

const arg = (name: string, fallback: number) =>
  Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const sizeGib = arg("size-gib", 30);
const dataGib = arg("data-gib", 1);
const runs = 5;
const dir = mkdtempSync(join(tmpdir(), "wakame-bench-disk-"));

try {
  // Half random (incompressible), half text-like (compressible), in 64 MiB runs spread over the disk.
  const raw = join(dir, "windows.raw");
  const fd = openSync(raw, "w");
  const chunk = 64 << 20;
  const pieces = Math.round((dataGib * 1024) / 64);
  const text = Buffer.alloc(chunk, "C:/Windows/System32/drivers/etc/hosts 127.0.0.1 localhost\n");
  for (let i = 0; i < pieces; i++) {
    const at = Math.floor((i / pieces) * (sizeGib * 1024 - 64)) * (1 << 20);
    writeSync(fd, i % 2 ? text : randomBytes(chunk), 0, chunk, at);
  }
  closeSync(fd);
  execFileSync("truncate", ["-s", `${sizeGib}G`, raw]);
  execFileSync("tar", ["-C", dir, "-czSf", join(dir, "windows.raw.tar.gz"), "windows.raw"]);
  const packed = join(dir, "windows.raw.tar.gz");
  const checksum = execFileSync("md5sum", [packed]).toString().split(" ")[0]!;
  rmSync(raw);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const time = (f: () => void) => {
    const t0 = performance.now();
    f();
    return (performance.now() - t0) / 1000;
  };

  const original: number[] = [];
  for (let i = 0; i < 3; i++) {
    const into = join(dir, `launch-${i}`);
    mkdirSync(into);
    original.push(time(() => execFileSync("tar", ["-C", into, "-xzSf", packed])));
    rmSync(into, { recursive: true });
  }

  const cache = new ImageCache(join(dir, "cache"));
  const bo = {
    id: "bo-bench",
    storage_uri: pathToFileURL(`${dirname(packed)}/`).href,
    object_key: basename(packed),
    container_format: "tgz" as const,
    checksum,
    allocation_size: statSync(packed).size,
  };
  const t0 = performance.now();
  const base = await cache.get(bo);
  const fill = (performance.now() - t0) / 1000;

  const ours: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await createInstanceDisk(base, "raw", join(dir, `i-${i}.qcow2`), true);
    ours.push((performance.now() - t) / 1000);
  }

  const o = median(original);
  const w = median(ours);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}`);
  console.log(
    `image: ${sizeGib} GiB sparse raw, ${dataGib} GiB data (half random, half text); raw.tar.gz ${(statSync(packed).size / 2 ** 30).toFixed(2)} GiB`,
  );
  console.log("| what | seconds (median) | vs ours |");
  console.log("| --- | --- | --- |");
  console.log(
    `| original: tar -xzSf raw.tar.gz per launch (${original.length} runs) | ${o.toFixed(2)} | ${(o / w).toFixed(0)}x slower |`,
  );
  console.log(`| ours: qcow2 overlay on the cached base (${runs} runs) | ${w.toFixed(3)} | 1x |`);
  console.log(
    `| ours, once per host: fetch + md5 + unpack into the cache | ${fill.toFixed(2)} | ${(fill / o).toFixed(2)}x the original's per-launch cost |`,
  );
  console.log(`goal: < 0.5 s and >= 100x faster: ${w < 0.5 && o / w >= 100 ? "met" : "not met"}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
