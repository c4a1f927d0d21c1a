// Step 27's relabelling: the root partition's NTFS label becomes `root`
// (partition 1 of an MBR disk, Windows' basic data partition of a GPT one),
// without root privileges; only the $Volume record and its mirror change, and
// ntfs-3g reads the result as a consistent volume with the new label.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { diskPartitions, partitionTableBytes, rootPartition } from "../../src/imagebuild/disk-partitions.js";
import { setNtfsLabel } from "../../src/imagebuild/ntfs-label.js";
import { gptWindowsDisk, labelOf, ntfsDisk } from "../helpers/ntfs.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("ntfs");
after(() => rmSync(dir, { recursive: true, force: true }));

const head = (disk: string) => readFileSync(disk).subarray(0, partitionTableBytes);

test("the MBR's partitions, with byte offsets", () => {
  const disk = join(dir, "mbr.raw");
  ntfsDisk(disk, "x");
  assert.deepEqual(diskPartitions(head(disk)), [{ number: 1, type: 7, offset: 1 << 20, length: 63 << 20 }]);
  assert.throws(() => diskPartitions(Buffer.alloc(512)), /no partition table/);
});

test("a GPT disk as a UEFI install lays it out: EFI system, MSR, Windows; Windows' is the root partition", () => {
  const disk = join(dir, "gpt.raw");
  gptWindowsDisk(disk, "Windows");
  const parts = diskPartitions(head(disk));
  assert.deepEqual(parts, [
    { number: 1, type: "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", offset: 1 << 20, length: 8 << 20 },
    { number: 2, type: "e3c9e316-0b5c-4db8-817d-f92df00215ae", offset: 9 << 20, length: 16 << 20 },
    { number: 3, type: "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", offset: 25 << 20, length: parts[2]!.length },
  ]);
  assert.equal(rootPartition(parts)?.number, 3);
  // Windows' partition runs to the GPT's backup copy, in the disk's last 33 sectors.
  assert.ok(parts[2]!.offset + parts[2]!.length <= (64 << 20) - 33 * 512);
  assert.equal(parts[2]!.length, 38 << 20);
  const noHeader = Buffer.from(head(disk));
  noHeader.fill(0, 512, 1024);
  assert.throws(() => diskPartitions(noHeader), /announces a GPT, and sector 1 holds none/);
});

test("on a GPT disk, Windows' partition is labelled; the EFI system partition is left as it was", async () => {
  const disk = join(dir, "gpt-label.raw");
  gptWindowsDisk(disk, "Windows");
  const esp = () => readFileSync(disk).subarray(1 << 20, 9 << 20);
  const before = Buffer.from(esp());
  await setNtfsLabel(disk, rootPartition, "root");
  assert.equal(labelOf(disk), "root");
  assert.deepEqual(esp(), before);
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
  await setNtfsLabel(disk, rootPartition, "root");
  assert.equal(labelOf(disk), "root");
  assert.equal(changedBlocks(before, readFileSync(disk)), 2, "two MFT records of 1 KiB");
  assert.match(consistent(disk), /NTFS volume version is 3.1/);
  await setNtfsLabel(disk, rootPartition, "a label of 32 characters exactly");
  assert.equal(labelOf(disk), "a label of 32 characters exactly");
  await setNtfsLabel(disk, rootPartition, "root");
  assert.equal(labelOf(disk), "root");
  assert.match(consistent(disk), /NTFS volume version is 3.1/);
  await assert.rejects(setNtfsLabel(disk, rootPartition, "x".repeat(33)), /at most 32 characters/);
  await assert.rejects(
    setNtfsLabel(disk, (parts) => parts.find((p) => p.number === 2), "root"),
    /has no such partition: it has 1 \(type 0x7\)/,
  );
  assert.equal(labelOf(disk), "root", "a refusal changes nothing");
});

test("a volume made without a label gets one", async () => {
  const disk = join(dir, "nolabel.raw");
  ntfsDisk(disk, "");
  await setNtfsLabel(disk, rootPartition, "root");
  assert.equal(labelOf(disk), "root");
});
