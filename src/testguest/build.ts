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
  kernel: string;
  initrd: string;
}

export function testGuestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(
    env.WAKAME_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "wakame-ts"),
    "testvm",
  );
}

async function packageVersion(name: string): Promise<string> {
  const { stdout } = await run("apt-cache", ["policy", name]);
  return /Candidate: (\S+)/.exec(stdout)?.[1] ?? "unknown";
}

/** The built guest, building it first if the cache has none for today's sources. */
export async function ensureTestGuest(log: (line: string) => void = () => {}): Promise<TestGuest> {
  const root = packageRoot();
  const sources = ["build.sh", "init", "logincheck"].map((f) => join(root, "guest", "testvm", f));
  const hash = createHash("sha256");
  for (const f of sources) hash.update(await readFile(f));
  hash.update(protocolShell());
  for (const p of ["linux-image-cloud-amd64", "busybox-static", "openssl", "syslinux"])
    hash.update(await packageVersion(p));
  const dir = join(testGuestCacheDir(), hash.digest("hex").slice(0, 16));
  const guest = {
    disk: join(dir, "testvm.raw"),
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.gz"),
  };
  if (existsSync(guest.disk)) return guest;

  log(`building the Linux test guest into ${dir}`);
  const work = `${dir}.building-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const protocol = join(work, "protocol.sh");
    await writeFile(protocol, protocolShell());
    await run("bash", [join(root, "guest", "testvm", "build.sh"), join(work, "out"), protocol], {
      maxBuffer: 16 << 20,
    });
    // Whole or not at all: a build that stopped half way is never taken for a built guest.
    await rename(join(work, "out"), dir).catch(async (err) => {
      if (!existsSync(guest.disk)) throw err;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // Builds for older sources are no longer used.
  for (const old of await readdir(testGuestCacheDir())) {
    if (old !== basename(dir) && !old.includes(".building-"))
      await rm(join(testGuestCacheDir(), old), { recursive: true, force: true });
  }
  return guest;
}
