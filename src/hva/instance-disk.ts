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
