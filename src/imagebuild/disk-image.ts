// A disk as packing reads it: its size, where it holds data, and its bytes
// by the disk's own offsets. A raw image file is read where it is, holes
// never read (`qemu-img map` lists where the data is); the host agent's
// backups read an overlay and its image this way too (hva/backup/disk-chain.ts).
import { execFile } from "node:child_process";
import { type FileHandle, open, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { clusterAligned } from "./qcow2.js";
import type { Extent } from "./sparse-tar.js";

const run = promisify(execFile);

/** Where `file` (raw) holds data, merged into runs; everything else reads as zeros. */
async function mappedExtents(file: string): Promise<Extent[]> {
  const { stdout } = await run("qemu-img", ["map", "--output=json", "-f", "raw", file], {
    maxBuffer: 256 << 20,
  });
  const extents: Extent[] = [];
  for (const e of JSON.parse(stdout) as { start: number; length: number; data: boolean }[]) {
    if (!e.data) continue;
    const last = extents.at(-1);
    if (last && last.offset + last.length === e.start) last.length += e.length;
    else extents.push({ offset: e.start, length: e.length });
  }
  return extents;
}

/** The data packaging reads: the mapped extents widened to whole qcow2 clusters (within the image). */
export async function dataExtents(file: string): Promise<Extent[]> {
  const { size } = await stat(file);
  return clusterAligned(await mappedExtents(file)).map((e) => ({
    offset: e.offset,
    length: Math.min(e.length, size - e.offset),
  }));
}

/** A disk as packing reads it: its size, and its bytes by the disk's own offsets. */
export interface DiskImage {
  /** Its file, for messages and the piece index. */
  file: string;
  size: number;
  mtimeMs: number;
  read(ranges: readonly Extent[]): Promise<Buffer>;
  close(): Promise<void>;
}

/** A raw disk image file: its offsets are the disk's. */
export async function openRawImage(file: string): Promise<DiskImage> {
  const { size, mtimeMs } = await stat(file);
  const fd = await open(file, "r");
  return { file, size, mtimeMs, read: (ranges) => readRanges(fd, ranges, file), close: () => fd.close() };
}

/** Bytes of `ranges` of the open file `fd`; `file` names it in errors. */
export async function readRanges(fd: FileHandle, ranges: readonly Extent[], file: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(ranges.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of ranges) {
    const { bytesRead } = await fd.read(buf, at, r.length, r.offset);
    if (bytesRead !== r.length) throw new Error(`${file} is shorter than qemu-img map said`);
    at += r.length;
  }
  return buf;
}
