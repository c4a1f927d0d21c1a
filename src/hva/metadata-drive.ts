// The metadata drive: a small disk image with an MBR and one FAT partition at
// 1 MiB labelled METADATA (guest-protocol.md), written and read with mtools,
// so no root and no loop mounts are needed.
import { mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { copyIntoFat, fatAt, listFatFiles, mtool, notFound, readFatFile } from "../fat/mtools.js";
import { type MetadataContent, metadataFiles, metadataLabel } from "../model/guest-protocol.js";

const mib = 1024 * 1024;
export const metadataDriveSize = 10 * mib;
const partitionStart = mib;
const sector = 512;
/** mtools' name for the drive's FAT volume (the partition at 1 MiB). */
export const metadataVolume = (file: string) => fatAt(file, partitionStart);

/** One primary partition, type 0x0E (FAT16 LBA), from 1 MiB to the end. */
function mbr(totalBytes: number): Buffer {
  const b = Buffer.alloc(sector);
  const entry = 446;
  b[entry] = 0x00;
  b.writeUIntBE(0xfeffff, entry + 1, 3);
  b[entry + 4] = 0x0e;
  b.writeUIntBE(0xfeffff, entry + 5, 3);
  b.writeUInt32LE(partitionStart / sector, entry + 8);
  b.writeUInt32LE((totalBytes - partitionStart) / sector, entry + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** Writes the drive for `content` at `file`, whole or not at all (a temp file renamed into place). */
export async function writeMetadataDrive(file: string, content: MetadataContent): Promise<void> {
  const work = await mkdtemp(join(dirname(file), ".metadata-"));
  try {
    const img = join(work, "drive.img");
    const handle = await open(img, "w");
    try {
      await handle.write(mbr(metadataDriveSize), 0, sector, 0);
      await handle.truncate(metadataDriveSize);
    } finally {
      await handle.close();
    }
    const sectors = (metadataDriveSize - partitionStart) / sector;
    // One-sector clusters make it FAT16, which every Windows mounts.
    await mtool("mformat", [
      "-i",
      metadataVolume(img),
      "-v",
      metadataLabel,
      "-T",
      String(sectors),
      "-h",
      "64",
      "-s",
      "32",
      "-H",
      String(partitionStart / sector),
      "-c",
      "1",
      "::",
    ]);
    const { files, directories } = metadataFiles(content);
    await copyIntoFat(metadataVolume(img), files, directories, work);
    await rename(img, file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The bytes of a file on the drive, or undefined when it is not there. */
export const readMetadataFile = (file: string, path: string) => readFatFile(metadataVolume(file), path);

/** Puts one file on the drive (its directory is there already), replacing one of that name. */
export async function putMetadataFile(file: string, path: string, bytes: Buffer): Promise<void> {
  const work = await mkdtemp(join(dirname(file), ".metadata-"));
  try {
    await writeFile(join(work, "file"), bytes);
    await mtool("mcopy", ["-o", "-i", metadataVolume(file), join(work, "file"), `::${path}`]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function deleteMetadataFile(file: string, path: string): Promise<void> {
  try {
    await mtool("mdel", ["-i", metadataVolume(file), `::${path}`]);
  } catch (err) {
    if (!notFound(err)) throw err;
  }
}

/** Every file path on the drive, for checks and logs. */
export const listMetadataFiles = (file: string) => listFatFiles(metadataVolume(file));
