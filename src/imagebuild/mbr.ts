// The partitions of an MBR disk image, from its first sector. Pure.

export interface Partition {
  number: number;
  type: number;
  /** Byte offset and length in the image. */
  offset: number;
  length: number;
}

const sector = 512;

export function mbrPartitions(first: Buffer): Partition[] {
  if (first.length < sector || first[510] !== 0x55 || first[511] !== 0xaa) {
    throw new Error("the image has no MBR partition table (no 55 AA signature in its first sector)");
  }
  const parts: Partition[] = [];
  for (let i = 0; i < 4; i++) {
    const e = 446 + i * 16;
    const type = first[e + 4]!;
    const start = first.readUInt32LE(e + 8);
    const sectors = first.readUInt32LE(e + 12);
    if (type !== 0 && sectors > 0)
      parts.push({ number: i + 1, type, offset: start * sector, length: sectors * sector });
  }
  return parts;
}
