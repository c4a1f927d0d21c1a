// Step 27's relabelling: partition 1's NTFS label becomes `root`, without root
// privileges, and nothing outside the partition changes.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { mbrPartitions } from "../../src/imagebuild/mbr.js";
import { setNtfsLabel } from "../../src/imagebuild/ntfs-label.js";
import { labelOf, ntfsDisk } from "../helpers/ntfs.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("ntfs");
after(() => rmSync(dir, { recursive: true, force: true }));

test("the MBR's partitions, with byte offsets", () => {
  const disk = join(dir, "mbr.raw");
  ntfsDisk(disk, "x");
  assert.deepEqual(mbrPartitions(readFileSync(disk).subarray(0, 512)), [
    { number: 1, type: 7, offset: 1 << 20, length: 63 << 20 },
  ]);
  assert.throws(() => mbrPartitions(Buffer.alloc(512)), /no MBR partition table/);
});

test("partition 1's NTFS label becomes root; the MBR and the rest stay as they were", async () => {
  const disk = join(dir, "win.raw");
  ntfsDisk(disk, "Windows");
  assert.equal(labelOf(disk), "Windows");
  const mbrBefore = readFileSync(disk).subarray(0, 1 << 20);
  await setNtfsLabel(disk, 1, "root");
  assert.equal(labelOf(disk), "root");
  assert.deepEqual(readFileSync(disk).subarray(0, 1 << 20), mbrBefore);
  await assert.rejects(setNtfsLabel(disk, 2, "root"), /has no partition 2/);
});
