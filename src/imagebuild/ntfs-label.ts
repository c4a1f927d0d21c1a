// Setting the label of the NTFS filesystem in one partition of a raw disk
// image (step 27 labels partition 1 `root`, which images' root_device
// label:root names). The original attached a loop device with sudo; this
// needs no root and no loop devices: the partition's data is copied out to
// a sparse file, relabelled with ntfs-3g's ntfslabel, and copied back (or
// into a new copy of the image, which step 27 makes anyway).
import { execFile } from "node:child_process";
import { open, rename, rm, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { mbrPartitions } from "./mbr.js";
import { dataExtents } from "./pack.js";
import { copyExtents } from "./sparse-copy.js";
import type { Extent } from "./sparse-tar.js";

const run = promisify(execFile);

/** The data extents of `extents` clipped to [from, to). */
function clip(extents: readonly Extent[], from: number, to: number): Extent[] {
  return extents
    .map((e) => ({ offset: Math.max(e.offset, from), end: Math.min(e.offset + e.length, to) }))
    .filter((e) => e.end > e.offset)
    .map((e) => ({ offset: e.offset, length: e.end - e.offset }));
}

async function blankFile(file: string, size: number): Promise<void> {
  const blank = await open(file, "w");
  await blank.truncate(size);
  await blank.close();
}

/**
 * Copies `from` to `to` (sparse, written whole or not at all) with the NTFS
 * label of partition `partitionNumber` set to `label`. The partition's data
 * goes through a sparse scratch file that ntfslabel works on; the rest is
 * copied as it is. With `from` = `to`, the image is relabelled in place.
 */
export async function copyWithNtfsLabel(
  from: string,
  to: string,
  partitionNumber: number,
  label: string,
): Promise<void> {
  const fd = await open(from, "r");
  const first = Buffer.alloc(512);
  await fd.read(first, 0, 512, 0);
  await fd.close();
  const part = mbrPartitions(first).find((p) => p.number === partitionNumber);
  if (!part) throw new Error(`${from} has no partition ${partitionNumber}`);
  const extents = await dataExtents(from);
  const scratch = `${to}.partition${partitionNumber}`;
  const temp = from === to ? to : `${to}.copying`;
  try {
    await blankFile(scratch, part.length);
    await copyExtents(from, scratch, clip(extents, part.offset, part.offset + part.length), -part.offset);
    await run("ntfslabel", [scratch, label]).catch((err: Error & { stderr?: string }) => {
      throw new Error(
        `ntfslabel could not label partition ${partitionNumber} of ${from}: ${(err.stderr ?? err.message).trim()}`,
      );
    });
    if (temp !== from) {
      await blankFile(temp, (await stat(from)).size);
      await copyExtents(from, temp, clip(extents, 0, part.offset), 0);
      await copyExtents(from, temp, clip(extents, part.offset + part.length, Number.MAX_SAFE_INTEGER), 0);
    }
    await copyExtents(scratch, temp, await dataExtents(scratch), part.offset);
    if (temp !== to) await rename(temp, to);
  } finally {
    await rm(scratch, { force: true });
    if (temp !== to) await rm(temp, { force: true });
  }
}

/** Sets the label of partition `partitionNumber`'s NTFS in `image` itself. */
export const setNtfsLabel = (image: string, partitionNumber: number, label: string) =>
  copyWithNtfsLabel(image, image, partitionNumber, label);
