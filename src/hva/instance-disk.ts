// An instance's root disk. From a cacheable image: a qcow2 overlay backed by
// the cached base, so a launch costs the same for a 30 GiB image as for a
// tiny one. Otherwise: a plain (sparse) copy of the image, the instance's own.
import { execFile } from "node:child_process";
import { constants, copyFile, rename, rm } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface InstanceDisk {
  file: string;
  format: "raw" | "qcow2";
}

export async function createInstanceDisk(
  base: string,
  baseFormat: "raw" | "qcow2",
  target: string,
  cacheable: boolean,
): Promise<InstanceDisk> {
  const temp = `${target}.creating`;
  await rm(temp, { force: true });
  try {
    if (cacheable) {
      await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", base, temp]);
      await rename(temp, target);
      return { file: target, format: "qcow2" };
    }
    // copy_file_range/reflink where the filesystem offers it; holes stay holes with cp --sparse.
    await run("cp", ["--sparse=always", base, temp]).catch(() =>
      copyFile(base, temp, constants.COPYFILE_FICLONE),
    );
    await rename(temp, target);
    return { file: target, format: baseFormat };
  } finally {
    await rm(temp, { force: true });
  }
}

/** The image a qcow2 overlay is backed by, or null (a disk of its own). */
export async function backingOf(file: string): Promise<{ file: string; format: string } | null> {
  const { stdout } = await run("qemu-img", ["info", "-U", "--output=json", file]);
  const info = JSON.parse(stdout) as { "backing-filename"?: string; "backing-filename-format"?: string };
  const backing = info["backing-filename"];
  return backing ? { file: backing, format: info["backing-filename-format"] ?? "raw" } : null;
}

/** Points an overlay that came from another host at this host's copy of its image (the data is the same: only the path differs). */
export async function rebaseOnto(file: string, backing: { file: string; format: string }): Promise<void> {
  await run("qemu-img", ["rebase", "-u", "-f", "qcow2", "-b", backing.file, "-F", backing.format, file]);
}
