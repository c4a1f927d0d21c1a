// Setting the label of the NTFS filesystem in one partition of a raw disk
// image (step 27 labels partition 1 `root`, which images' root_device
// label:root names). The original attached a loop device with sudo; this
// needs no root and no loop devices: the partition's data is copied out to
// a sparse file, relabelled with ntfs-3g's ntfslabel, and copied back.
import { execFile } from "node:child_process";
import { open, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { mbrPartitions } from "./mbr.js";
import { dataExtents } from "./pack.js";
import { copyExtents } from "./sparse-copy.js";

const run = promisify(execFile);

export async function setNtfsLabel(image: string, partitionNumber: number, label: string): Promise<void> {
  const fd = await open(image, "r");
  const first = Buffer.alloc(512);
  await fd.read(first, 0, 512, 0);
  await fd.close();
  const part = mbrPartitions(first).find((p) => p.number === partitionNumber);
  if (!part) throw new Error(`${image} has no partition ${partitionNumber}`);
  const inside = (await dataExtents(image))
    .map((e) => {
      const start = Math.max(e.offset, part.offset);
      const end = Math.min(e.offset + e.length, part.offset + part.length);
      return { offset: start, length: end - start };
    })
    .filter((e) => e.length > 0);
  const temp = `${image}.partition${partitionNumber}`;
  try {
    const blank = await open(temp, "w");
    await blank.truncate(part.length);
    await blank.close();
    await copyExtents(image, temp, inside, -part.offset);
    await run("ntfslabel", [temp, label]).catch((err: Error & { stderr?: string }) => {
      throw new Error(
        `ntfslabel could not label partition ${partitionNumber} of ${image}: ${(err.stderr ?? err.message).trim()}`,
      );
    });
    await copyExtents(temp, image, await dataExtents(temp), part.offset);
  } finally {
    await rm(temp, { force: true });
  }
}
