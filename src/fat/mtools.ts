// FAT images written and read with mtools, so that no root and no loop
// mount is needed: the instances' metadata drives and the image builder's
// answer-file floppy.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// No geometry checks on an image file, and never a question on stdin.
const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: "1", MTOOLS_NO_VFAT: "" };

/** mtools' name for the filesystem at `offset` bytes into `file`. */
export const fatAt = (file: string, offset: number) => (offset ? `${file}@@${offset}` : file);

export function mtool(tool: string, args: string[], encoding: "buffer" | "utf8" = "utf8") {
  return run(tool, args, { env: mtoolsEnv, encoding, maxBuffer: 64 * 1024 * 1024 });
}

/** mtools' message for a path that is not there. */
export const notFound = (err: unknown) =>
  /not found|No such file/i.test(String((err as { stderr?: unknown }).stderr ?? ""));

/**
 * Copies `files` (path on the image to bytes) into the formatted FAT `fat`,
 * making their directories and `directories` (empty ones) first. `work` is a
 * scratch directory for the bytes on their way.
 */
export async function copyIntoFat(
  fat: string,
  files: ReadonlyMap<string, Buffer>,
  directories: readonly string[],
  work: string,
): Promise<void> {
  const dirs = new Set<string>(directories);
  for (const path of [...files.keys(), ...directories]) {
    for (let d = dirname(path); d !== "."; d = dirname(d)) dirs.add(d);
  }
  const ordered = [...dirs].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  if (ordered.length) await mtool("mmd", ["-i", fat, ...ordered.map((d) => `::${d}`)]);
  for (const [path, bytes] of files) {
    const local = join(work, "file");
    await writeFile(local, bytes);
    await mtool("mcopy", ["-o", "-i", fat, local, `::${path}`]);
  }
}

/** The bytes of a file of the FAT, or undefined when it is not there. */
export async function readFatFile(fat: string, path: string): Promise<Buffer | undefined> {
  try {
    const { stdout } = await mtool("mcopy", ["-n", "-i", fat, `::${path}`, "-"], "buffer");
    return stdout as unknown as Buffer;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** Every file path of the FAT. */
export async function listFatFiles(fat: string): Promise<string[]> {
  const { stdout } = await mtool("mdir", ["-/", "-b", "-i", fat, "::"]);
  return (stdout as string)
    .split("\n")
    .map((l) => l.trim().replace(/^::\//, ""))
    .filter((l) => l && !l.endsWith("/"));
}
