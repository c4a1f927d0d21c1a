// Step 27's relabelling: partition 1's NTFS label becomes `root`, without root
// privileges; only the $Volume record and its mirror change, and ntfs-3g
// reads the result as a consistent volume with the new label.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

/** The 1 KiB blocks in which two images differ. */
function changedBlocks(a: Buffer, b: Buffer): number {
  let n = 0;
  for (let at = 0; at < a.length; at += 1024)
    if (!a.subarray(at, at + 1024).equals(b.subarray(at, at + 1024))) n++;
  return n;
}

/** ntfsfix -n: ntfs-3g opens the volume and finds nothing to repair. */
const consistent = (disk: string) => {
  const part = `${disk}.fix`;
  execFileSync("dd", [`if=${disk}`, `of=${part}`, "bs=1M", "skip=1", "conv=sparse", "status=none"]);
  try {
    return execFileSync("ntfsfix", ["-n", part]).toString();
  } finally {
    rmSync(part);
  }
};

test("partition 1's NTFS label becomes root, and back and forth; only the $Volume record and its mirror change", async () => {
  const disk = join(dir, "win.raw");
  ntfsDisk(disk, "Windows");
  assert.equal(labelOf(disk), "Windows");
  const before = readFileSync(disk);
  await setNtfsLabel(disk, 1, "root");
  assert.equal(labelOf(disk), "root");
  assert.equal(changedBlocks(before, readFileSync(disk)), 2, "two MFT records of 1 KiB");
  assert.match(consistent(disk), /NTFS volume version is 3.1/);
  await setNtfsLabel(disk, 1, "a label of 32 characters exactly");
  assert.equal(labelOf(disk), "a label of 32 characters exactly");
  await setNtfsLabel(disk, 1, "root");
  assert.equal(labelOf(disk), "root");
  assert.match(consistent(disk), /NTFS volume version is 3.1/);
  await assert.rejects(setNtfsLabel(disk, 1, "x".repeat(33)), /at most 32 characters/);
  await assert.rejects(setNtfsLabel(disk, 2, "root"), /has no partition 2/);
  assert.equal(labelOf(disk), "root", "a refusal changes nothing");
});

test("a volume made without a label gets one", async () => {
  const disk = join(dir, "nolabel.raw");
  ntfsDisk(disk, "");
  await setNtfsLabel(disk, 1, "root");
  assert.equal(labelOf(disk), "root");
});
