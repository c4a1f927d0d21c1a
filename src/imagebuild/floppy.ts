// The answer-file floppy: a 1.44 MB FAT image made with mtools (no root, no
// loop mount), written whole or not at all.
import { mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { copyIntoFat, mtool } from "../fat/mtools.js";

export const floppyBytes = 1440 * 1024;

export async function makeFloppy(
  file: string,
  label: string,
  files: ReadonlyMap<string, Buffer>,
): Promise<void> {
  const total = [...files.values()].reduce((sum, b) => sum + b.length, 0);
  // FAT12 on 1.44 MB leaves 1,457,664 bytes for files (2,847 clusters of 512).
  if (total > 1_457_664) {
    const biggest = [...files].sort((a, b) => b[1].length - a[1].length)[0]!;
    throw new Error(
      `the floppy's files take ${total} bytes, more than a 1.44 MB floppy holds; the biggest is ${biggest[0]} (${biggest[1].length} bytes): an installer that big cannot come on the floppy`,
    );
  }
  const work = await mkdtemp(join(dirname(file), ".floppy-"));
  try {
    const img = join(work, "floppy.img");
    await writeFile(img, "");
    await truncate(img, floppyBytes);
    await mtool("mformat", ["-i", img, "-f", "1440", "-v", label, "::"]);
    await copyIntoFat(img, files, [], work);
    await rename(img, file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
