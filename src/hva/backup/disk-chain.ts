// An instance's qcow2 disk read in place, its backing chain (the cached
// image) included, for packing without a flattened copy: `qemu-img map`
// says, for each run of the disk, which file of the chain holds it (depth)
// and where (offset); the runs with data are read from there, the rest are
// holes. A disk whose map does not say where some data is (compressed
// clusters) is not read this way: null, and the caller flattens it.
import { execFile } from "node:child_process";
import { type FileHandle, open, stat } from "node:fs/promises";
import { promisify } from "node:util";
import type { DiskImage } from "../../imagebuild/disk-image.js";
import type { Extent } from "../../imagebuild/sparse-tar.js";

const run = promisify(execFile);

interface MapEntry {
  start: number;
  length: number;
  depth: number;
  data: boolean;
  offset?: number;
}

/** A run of the disk with data: in file `file` of the chain, from `offset`. */
interface Run {
  start: number;
  length: number;
  file: number;
  offset: number;
}

export async function openDiskChain(disk: string): Promise<{ image: DiskImage; extents: Extent[] } | null> {
  const json = (args: string[]) =>
    run("qemu-img", [...args, "--output=json", "-f", "qcow2", disk], { maxBuffer: 256 << 20 }).then(
      ({ stdout }) => JSON.parse(stdout),
    );
  const chain = (await json(["info", "--backing-chain"])) as { filename: string; "virtual-size": number }[];
  const map = (await json(["map"])) as MapEntry[];
  const runs: Run[] = [];
  for (const e of map) {
    if (!e.data) continue;
    if (e.offset === undefined || !chain[e.depth]) return null;
    runs.push({ start: e.start, length: e.length, file: e.depth, offset: e.offset });
  }
  const extents: Extent[] = [];
  for (const r of runs) {
    const last = extents.at(-1);
    if (last && last.offset + last.length === r.start) last.length += r.length;
    else extents.push({ offset: r.start, length: r.length });
  }
  const { mtimeMs } = await stat(disk);
  const files: FileHandle[] = [];
  try {
    for (const c of chain) files.push(await open(c.filename, "r"));
  } catch (err) {
    for (const f of files) await f.close();
    throw err;
  }
  const image: DiskImage = {
    file: disk,
    size: chain[0]!["virtual-size"],
    mtimeMs,
    read: (ranges) => readRuns(runs, files, ranges, disk),
    close: async () => {
      await Promise.allSettled(files.map((f) => f.close()));
    },
  };
  return { image, extents };
}

/** The disk's bytes at `ranges` (each within runs with data), read from where the chain keeps them. */
async function readRuns(
  runs: readonly Run[],
  files: readonly FileHandle[],
  ranges: readonly Extent[],
  disk: string,
): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(ranges.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const range of ranges) {
    let pos = range.offset;
    const end = range.offset + range.length;
    // The first run that ends after pos: runs are in disk order.
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runs[mid]!.start + runs[mid]!.length <= pos) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; pos < end; i++) {
      const r = runs[i];
      if (!r || r.start > pos) throw new Error(`${disk}: no data at ${pos}, where the map had it`);
      const n = Math.min(end, r.start + r.length) - pos;
      const { bytesRead } = await files[r.file]!.read(buf, at, n, r.offset + (pos - r.start));
      if (bytesRead !== n)
        throw new Error(`${disk}: its chain's file ${r.file} is shorter than qemu-img map said`);
      at += n;
      pos += n;
    }
  }
  return buf;
}
