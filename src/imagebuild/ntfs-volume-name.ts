// The label of an NTFS filesystem, written in place: the $VOLUME_NAME
// attribute (type 0x60) of MFT record 3 ($Volume), in the MFT and in its
// mirror ($MFTMirr holds the first records). Only those two records change,
// so step 27 relabels the seed image without copying its partition out for
// ntfslabel. The record edits are pure; tests check them against ntfs-3g.

const volumeRecord = 3;
const volumeNameType = 0x60;
const endMarker = 0xffffffff;

export interface NtfsLayout {
  sectorSize: number;
  recordSize: number;
  /** Byte offsets of $MFT and $MFTMirr from the filesystem's start. */
  mft: number;
  mirror: number;
}

export function ntfsLayout(boot: Buffer): NtfsLayout {
  if (boot.toString("ascii", 3, 11) !== "NTFS    ") throw new Error("the partition holds no NTFS filesystem");
  const sectorSize = boot.readUInt16LE(0x0b);
  const spc = boot.readUInt8(0x0d);
  const cluster = sectorSize * (spc > 128 ? 2 ** (256 - spc) : spc);
  const perRecord = boot.readInt8(0x40);
  return {
    sectorSize,
    recordSize: perRecord > 0 ? perRecord * cluster : 2 ** -perRecord,
    mft: Number(boot.readBigUInt64LE(0x30)) * cluster,
    mirror: Number(boot.readBigUInt64LE(0x38)) * cluster,
  };
}

/** Where record 3 lies in the MFT and in its mirror, from the filesystem's start. */
export function volumeRecordOffsets(l: NtfsLayout): number[] {
  return [l.mft, l.mirror].map((base) => base + volumeRecord * l.recordSize);
}

/** Undoes the update sequence (each sector's last two bytes), checking the record is whole. */
function unfix(rec: Buffer, sectorSize: number): void {
  const usa = rec.readUInt16LE(4);
  const count = rec.readUInt16LE(6);
  const usn = rec.readUInt16LE(usa);
  for (let i = 1; i < count; i++) {
    const end = i * sectorSize - 2;
    if (rec.readUInt16LE(end) !== usn)
      throw new Error("the $Volume record is torn (update sequence mismatch)");
    rec.writeUInt16LE(rec.readUInt16LE(usa + 2 * i), end);
  }
}

/** Applies a new update sequence number, as NTFS does on every write. */
function fix(rec: Buffer, sectorSize: number): void {
  const usa = rec.readUInt16LE(4);
  const count = rec.readUInt16LE(6);
  const usn = (rec.readUInt16LE(usa) % 0xffff) + 1;
  rec.writeUInt16LE(usn, usa);
  for (let i = 1; i < count; i++) {
    const end = i * sectorSize - 2;
    rec.writeUInt16LE(rec.readUInt16LE(end), usa + 2 * i);
    rec.writeUInt16LE(usn, end);
  }
}

/** Record 3 with its $VOLUME_NAME set to `label` (added if it had none). */
export function withVolumeName(record: Buffer, sectorSize: number, label: string): Buffer {
  if (record.toString("ascii", 0, 4) !== "FILE") throw new Error("MFT record 3 is not a FILE record");
  if (label.length > 32) throw new Error("an NTFS label has at most 32 characters");
  const rec = Buffer.from(record);
  unfix(rec, sectorSize);
  const used = rec.readUInt32LE(0x18);
  const allocated = rec.readUInt32LE(0x1c);
  let at = rec.readUInt16LE(0x14);
  while (rec.readUInt32LE(at) !== endMarker && rec.readUInt32LE(at) < volumeNameType)
    at += rec.readUInt32LE(at + 4);
  const existing = rec.readUInt32LE(at) === volumeNameType ? rec.readUInt32LE(at + 4) : 0;
  let id = existing ? rec.readUInt16LE(at + 14) : rec.readUInt16LE(0x28);
  if (!existing) rec.writeUInt16LE(id + 1, 0x28);
  id &= 0xffff;
  const name = Buffer.from(label, "utf16le");
  const length = Math.ceil((24 + name.length) / 8) * 8;
  const attr = Buffer.alloc(length);
  attr.writeUInt32LE(volumeNameType, 0);
  attr.writeUInt32LE(length, 4);
  attr.writeUInt16LE(24, 10);
  attr.writeUInt16LE(id, 14);
  attr.writeUInt32LE(name.length, 16);
  attr.writeUInt16LE(24, 20);
  name.copy(attr, 24);
  const newUsed = used - existing + length;
  if (newUsed > allocated) throw new Error("the label does not fit in the $Volume record");
  const out = Buffer.alloc(rec.length);
  rec.copy(out, 0, 0, at);
  attr.copy(out, at);
  rec.copy(out, at + length, at + existing, used);
  out.writeUInt32LE(newUsed, 0x18);
  fix(out, sectorSize);
  return out;
}
