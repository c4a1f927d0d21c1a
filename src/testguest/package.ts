// The test guest packaged as a backup object, as a Windows image would be:
// its raw disk in a sparse tgz in the backup storage's directory, with the
// values its .install.sh registers. Made once per build of the guest.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import type { PackagedImage } from "../model/packaged-image.js";
import { ensureTestGuest } from "./build.js";

const run = promisify(execFile);

export async function packageTestGuest(
  imagesDir: string,
  log: (line: string) => void,
  /** The UEFI (GPT, Secure Boot) disk instead of the BIOS one. */
  firmware: "bios" | "uefi" = "bios",
): Promise<PackagedImage> {
  const built = await ensureTestGuest(log);
  const disk = firmware === "uefi" ? built.uefiDisk : built.disk;
  // The build's cache key names the package, so a rebuilt guest is a new object.
  const objectKey = `testwin${firmware === "uefi" ? "-uefi" : ""}.${basename(dirname(disk))}.raw.tar.gz`;
  const packaged = join(imagesDir, objectKey);
  if (!existsSync(packaged)) {
    log(`packaging the test guest as ${packaged}`);
    await mkdir(imagesDir, { recursive: true });
    const temp = `${packaged}.packing`;
    try {
      await run("tar", ["-C", dirname(disk), "-czSf", temp, basename(disk)]);
      await rename(temp, packaged);
    } finally {
      await rm(temp, { force: true });
    }
  }
  const md5 = createHash("md5");
  await pipeline(createReadStream(packaged), md5);
  return {
    objectKey,
    containerFormat: "tgz",
    fileFormat: "raw",
    size: (await stat(disk)).size,
    allocationSize: (await stat(packaged)).size,
    checksum: md5.digest("hex"),
  };
}
