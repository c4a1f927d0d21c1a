// The stand-in Windows installation ISO (guest/standin-installer/), for
// testing the image builder where Windows cannot be had: built once per
// version and accepted key, from the test guest and Debian's generic kernel,
// and cached beside the test guest.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../package-root.js";
import { cachedBuild, ensureTestGuest, guestCacheRoot, packageVersion } from "./build.js";

const run = promisify(execFile);

/** installer.iso (BIOS and UEFI) for Windows `version`, accepting product key `key` (or none: an evaluation ISO). */
export async function ensureStandinInstaller(version: string, key: string): Promise<string> {
  const root = packageRoot();
  const guest = await ensureTestGuest();
  const hash = createHash("sha256");
  for (const f of [
    "standin-installer/build.sh",
    "standin-installer/init",
    "standin-installer/screens.c",
    "lib/initramfs.sh",
  ]) {
    hash.update(await readFile(join(root, "guest", f)));
  }
  // The test guest's directory is named for its own sources.
  hash.update(basename(dirname(guest.disk)));
  for (const p of [
    "linux-image-amd64",
    "busybox-static",
    "ntfs-3g",
    "fdisk",
    "isolinux",
    "console-data",
    "kbd",
    "gcc",
    "shim-signed",
    "grub-efi-amd64-signed",
  ])
    hash.update(await packageVersion(p));
  const kindDir = join(guestCacheRoot(), "standin-installer", `${version}-${key}`);
  const dir = await cachedBuild(kindDir, hash.digest("hex").slice(0, 16), "installer.iso", async (out) => {
    const script = join(root, "guest", "standin-installer", "build.sh");
    await run("bash", [script, out, guest.disk, guest.uefiDisk, version, key], {
      maxBuffer: 16 << 20,
    });
  });
  return join(dir, "installer.iso");
}
