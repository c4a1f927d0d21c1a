// The metadata drive: a small disk image with an MBR and one FAT partition at
// 1 MiB labelled METADATA (guest-protocol.md), written and read with mtools,
// so no root and no loop mounts are needed.
import { execFile } from "node:child_process";
import { mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { type MetadataContent, metadataFiles, metadataLabel } from "../model/guest-protocol.js";

const run = promisify(execFile);
const mib = 1024 * 1024;
export const metadataDriveSize = 10 * mib;
const partitionStart = mib;
const sector = 512;

// mtools: no geometry checks on an image file, and never a question on stdin.
const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: "1", MTOOLS_NO_VFAT: "" };
const image = (file: string) => `${file}@@${partitionStart}`;
const mtool = (tool: string, args: string[], encoding: "buffer" | "utf8" = "utf8") =>
  run(tool, args, { env: mtoolsEnv, encoding, maxBuffer: 64 * mib });

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
      image(img),
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
    const dirs = new Set<string>(directories);
    for (const path of [...files.keys(), ...directories]) {
      for (let d = dirname(path); d !== "."; d = dirname(d)) dirs.add(d);
    }
    const ordered = [...dirs].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
    if (ordered.length) await mtool("mmd", ["-i", image(img), ...ordered.map((d) => `::${d}`)]);
    for (const [path, bytes] of files) {
      const local = join(work, "file");
      await writeFile(local, bytes);
      await mtool("mcopy", ["-o", "-i", image(img), local, `::${path}`]);
    }
    await rename(img, file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The bytes of a file on the drive, or undefined when it is not there. */
export async function readMetadataFile(file: string, path: string): Promise<Buffer | undefined> {
  try {
    const { stdout } = await mtool("mcopy", ["-n", "-i", image(file), `::${path}`, "-"], "buffer");
    return stdout as unknown as Buffer;
  } catch (err) {
    if (/not found|No such file/i.test(String((err as { stderr?: unknown }).stderr ?? ""))) return undefined;
    throw err;
  }
}

export async function deleteMetadataFile(file: string, path: string): Promise<void> {
  try {
    await mtool("mdel", ["-i", image(file), `::${path}`]);
  } catch (err) {
    if (!/not found|No such file/i.test(String((err as { stderr?: unknown }).stderr ?? ""))) throw err;
  }
}

/** Every file path on the drive, for checks and logs. */
export async function listMetadataFiles(file: string): Promise<string[]> {
  const { stdout } = await mtool("mdir", ["-/", "-b", "-i", image(file), "::"]);
  return (stdout as string)
    .split("\n")
    .map((l) => l.trim().replace(/^::\//, ""))
    .filter((l) => l && !l.endsWith("/"));
}
