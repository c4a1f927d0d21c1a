// The partitions of a disk image from its first sectors: an MBR's four
// entries, or, behind a protective MBR, the GPT a UEFI install writes (its
// header in sector 1, its entries from sector 2). Pure.
import { guidText } from "../model/uefi-variable-store.js";

export interface Partition {
  number: number;
  /** An MBR's type byte (0x07: NTFS) or a GPT's type GUID. */
  type: number | string;
  /** Byte offset and length in the image. */
  offset: number;
  length: number;
}

const sector = 512;
/** The sectors a caller reads: the MBR, the GPT header and 128 entries of 128 bytes. */
export const partitionTableBytes = 34 * sector;

/** Windows' data partitions (NTFS): MBR type 7, GPT "Microsoft basic data". */
const windowsData = new Set<number | string>([0x07, "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"]);
export const isWindowsData = (p: Partition) => windowsData.has(p.type);

export function diskPartitions(head: Buffer): Partition[] {
  if (head.length < sector || head[510] !== 0x55 || head[511] !== 0xaa) {
    throw new Error("the image has no partition table (no 55 AA signature in its first sector)");
  }
  const mbr: Partition[] = [];
  for (let i = 0; i < 4; i++) {
    const e = 446 + i * 16;
    const type = head[e + 4]!;
    const start = head.readUInt32LE(e + 8);
    const sectors = head.readUInt32LE(e + 12);
    if (type !== 0 && sectors > 0)
      mbr.push({ number: i + 1, type, offset: start * sector, length: sectors * sector });
  }
  return mbr.length === 1 && mbr[0]!.type === 0xee ? gptPartitions(head) : mbr;
}

function gptPartitions(head: Buffer): Partition[] {
  if (head.length < 2 * sector || head.toString("latin1", sector, sector + 8) !== "EFI PART")
    throw new Error("the image's protective MBR announces a GPT, and sector 1 holds none");
  const entriesAt = Number(head.readBigUInt64LE(sector + 72)) * sector;
  const count = head.readUInt32LE(sector + 80);
  const size = head.readUInt32LE(sector + 84);
  if (size < 128 || entriesAt + count * size > head.length)
    throw new Error(`the GPT's ${count} entries lie beyond the first ${head.length / sector} sectors`);
  const parts: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const e = head.subarray(entriesAt + i * size, entriesAt + (i + 1) * size);
    const type = guidText(e.subarray(0, 16));
    if (type === "00000000-0000-0000-0000-000000000000") continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    parts.push({ number: i + 1, type, offset: first * sector, length: (last - first + 1) * sector });
  }
  return parts;
}

/** A GPT disk: Windows on it boots on UEFI only. */
export const isGpt = (parts: readonly Partition[]) => parts.some((p) => typeof p.type === "string");

/**
 * The partition step 27 labels `root`: partition 1 of an MBR disk (the
 * original's choice, the Boot partition its layout makes first); on a GPT
 * disk, Windows' own (the first basic data partition).
 */
export function rootPartition(parts: readonly Partition[]): Partition | undefined {
  return isGpt(parts) ? parts.find(isWindowsData) : parts.find((p) => p.number === 1);
}
