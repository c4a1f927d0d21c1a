// The Linux test guest, built once by guest/testvm/build.sh and cached
// outside WAKAME_HOME (~/.cache/wakame-ts/testvm/KEY): the key covers the
// build's own files, the protocol paths and the Debian packages it uses, so a
// change to any of them builds anew.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { protocolShell } from "../model/guest-protocol-scripts.js";
import { packageRoot } from "../package-root.js";

const run = promisify(execFile);

export interface TestGuest {
  /** Bootable raw disk: MBR, syslinux, FAT partition ROOT with kernel and initramfs. */
  disk: string;
  /**
   * The same guest for UEFI and Secure Boot: GPT, its EFI system partition
   * ROOT holding Debian's signed shim, GRUB and kernel. Its kernel has no AHCI
   * driver: on q35 its disks must be virtio.
   */
  uefiDisk: string;
  kernel: string;
  initrd: string;
}

/** Where built guests are kept: WAKAME_CACHE_DIR, or ~/.cache/wakame-ts. */
export function guestCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.WAKAME_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "wakame-ts"));
}

export function testGuestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(guestCacheRoot(env), "testvm");
}

export async function packageVersion(name: string): Promise<string> {
  const { stdout } = await run("apt-cache", ["policy", name]);
  return /Candidate: (\S+)/.exec(stdout)?.[1] ?? "unknown";
}

/**
 * `build` run once for `key` into <kind dir>/<key>: whole or not at all (a
 * build that stopped half way is never taken for a built one), and the
 * builds for other keys, no longer used, removed. Returns the build's dir.
 */
export async function cachedBuild(
  kindDir: string,
  key: string,
  product: string,
  build: (out: string, work: string) => Promise<void>,
): Promise<string> {
  const dir = join(kindDir, key);
  if (existsSync(join(dir, product))) return dir;
  const work = `${dir}.building-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    await build(join(work, "out"), work);
    await rename(join(work, "out"), dir).catch(async (err) => {
      if (!existsSync(join(dir, product))) throw err;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  for (const old of await readdir(kindDir)) {
    if (old !== basename(dir) && !old.includes(".building-"))
      await rm(join(kindDir, old), { recursive: true, force: true });
  }
  return dir;
}

/**
 * The test guest as the KVM probe's guest, where this install can build it:
 * a checkout can, the installed packages (no guest/testvm) cannot.
 */
export function probeGuest(log: (line: string) => void = () => {}): (() => Promise<TestGuest>) | null {
  return existsSync(join(packageRoot(), "guest", "testvm", "build.sh")) ? () => ensureTestGuest(log) : null;
}

/** The built guest, building it first if the cache has none for today's sources. */
export async function ensureTestGuest(log: (line: string) => void = () => {}): Promise<TestGuest> {
  const root = packageRoot();
  const sources = [
    ...["build.sh", "init", "logincheck", "reach", "dhcp-report"].map((f) =>
      join(root, "guest", "testvm", f),
    ),
    join(root, "guest", "lib", "initramfs.sh"),
  ];
  const hash = createHash("sha256");
  for (const f of sources) hash.update(await readFile(f));
  hash.update(protocolShell());
  for (const p of [
    "linux-image-cloud-amd64",
    "busybox-static",
    "openssl",
    "syslinux",
    "shim-signed",
    "grub-efi-amd64-signed",
  ])
    hash.update(await packageVersion(p));
  const key = hash.digest("hex").slice(0, 16);
  const dir = join(testGuestCacheDir(), key);
  if (!existsSync(join(dir, "testvm.raw"))) log(`building the Linux test guest into ${dir}`);
  await cachedBuild(testGuestCacheDir(), key, "testvm-uefi.raw", async (out, work) => {
    const protocol = join(work, "protocol.sh");
    await writeFile(protocol, protocolShell());
    await run("bash", [join(root, "guest", "testvm", "build.sh"), out, protocol], { maxBuffer: 16 << 20 });
  });
  return {
    disk: join(dir, "testvm.raw"),
    uefiDisk: join(dir, "testvm-uefi.raw"),
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.gz"),
  };
}
