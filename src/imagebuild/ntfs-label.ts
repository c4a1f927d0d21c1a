// Setting the label of the NTFS filesystem in one partition of a raw disk
// image, MBR or GPT (step 27 labels its root partition `root`, which images'
// root_device label:root names). The original attached a loop device with sudo and ran
// ntfslabel; this writes the two records that hold the label ($Volume in the
// MFT and in its mirror) in place: no root, no loop device, no copy.
import { open } from "node:fs/promises";
import { diskPartitions, type Partition, partitionTableBytes } from "./disk-partitions.js";
import { ntfsLayout, volumeRecordOffsets, withVolumeName } from "./ntfs-volume-name.js";

/**
 * Writes the label into the partition `choose` picks from the image's
 * partitions; returns the byte ranges of the image that it rewrote.
 */
export async function setNtfsLabel(
  image: string,
  choose: (parts: Partition[]) => Partition | undefined,
  label: string,
): Promise<{ offset: number; length: number }[]> {
  const fd = await open(image, "r+");
  try {
    const read = async (offset: number, length: number) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fd.read(buf, 0, length, offset);
      if (bytesRead !== length) throw new Error(`${image} ends before byte ${offset + length}`);
      return buf;
    };
    const parts = diskPartitions(await read(0, partitionTableBytes));
    const part = choose(parts);
    if (!part)
      throw new Error(
        `${image} has no such partition: it has ${parts.map((p) => `${p.number} (type ${typeof p.type === "number" ? `0x${p.type.toString(16)}` : p.type})`).join(", ") || "none"}`,
      );
    const layout = ntfsLayout(await read(part.offset, 512));
    const records = [];
    for (const at of volumeRecordOffsets(layout)) {
      const offset = part.offset + at;
      records.push({
        offset,
        bytes: withVolumeName(await read(offset, layout.recordSize), layout.sectorSize, label),
      });
    }
    // Both computed before either is written: a refusal changes nothing.
    for (const r of records) await fd.write(r.bytes, 0, r.bytes.length, r.offset);
    return records.map((r) => ({ offset: r.offset, length: r.bytes.length }));
  } finally {
    await fd.close();
  }
}
