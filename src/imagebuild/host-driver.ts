// The build driver of this machine: the real QEMU, qemu-img, mtools, tar,
// pigz and ntfs-3g.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { deleteMetadataFile, readMetadataFile, writeMetadataDrive } from "../hva/metadata-drive.js";
import { makeVarStore } from "../hva/vm/firmware.js";
import { startSwtpm } from "../hva/vm/swtpm.js";
import { hostAccelerator } from "../qemu/accelerator.js";
import { qemuArgs } from "../qemu/command.js";
import { livePid, startDetachedQemu, stopDetached } from "../qemu/launch.js";
import { withQmp } from "../qemu/qmp.js";
import { probeGuest, testGuestCacheDir } from "../testguest/build.js";
import { diskPartitions, isWindowsData, partitionTableBytes } from "./disk-partitions.js";
import type { BuildDriver } from "./driver.js";
import { makeFloppy } from "./floppy.js";
import { setNtfsLabel } from "./ntfs-label.js";
import { packQcow2Gz, packSparseTarGz } from "./pack.js";
import { sparseCopy } from "./sparse-copy.js";

const run = promisify(execFile);

export function hostDriver(): BuildDriver {
  return {
    async createBlankImage(file, size) {
      const temp = `${file}.creating`;
      await run("qemu-img", ["create", "-q", "-f", "raw", temp, size]);
      await rename(temp, file);
    },
    async createOverlay(base, overlay) {
      await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", base, overlay]);
    },
    packSparseTarGz,
    packQcow2Gz,
    sparseCopy,
    allocatedBytes: async (file) => (await stat(file)).blocks * 512,
    makeVarStore,
    startTpm: startSwtpm,
    partitionsOf,
    setNtfsLabel,
    archiveWindowsLogs,
    async unmountLeftovers(dir) {
      const mounts = await readFile("/proc/mounts", "utf8");
      for (const name of await readdir(dir)) {
        if (!name.startsWith(".ntfs-")) continue;
        const path = join(dir, name);
        if (mounts.includes(` ${path} `)) await run("umount", [path]);
        await rm(path, { recursive: true, force: true });
      }
    },
    makeFloppy,
    writeMetadataDrive,
    readMetadataFile,
    deleteMetadataFile,
    async accelerator(setting) {
      const cache = join(dirname(testGuestCacheDir()), "kvm-probe.json");
      return (await hostAccelerator(setting, cache, probeGuest())).accel;
    },
    async startVm(vm, files) {
      const args = qemuArgs(vm);
      return { pid: await startDetachedQemu(args, files), args };
    },
    vmPid: (files) => livePid(files.pidFile, files.qmpSocket),
    stopVm: (files, signal) => stopDetached(files.pidFile, files.qmpSocket, signal),
    vncAddress: (files) =>
      withQmp(files.qmpSocket, async (q) => {
        const vnc = await q.execute<{ host?: string; service?: string }>("query-vnc");
        return `${vnc.host}:${vnc.service}`;
      }),
    setVncPassword: (files, password) =>
      withQmp(files.qmpSocket, (q) => q.execute("set_password", { protocol: "vnc", password })).then(
        () => {},
      ),
    screendump: (files, png) =>
      withQmp(files.qmpSocket, (q) => q.execute("screendump", { filename: png, format: "png" })),
    pressKey: (files, key) =>
      withQmp(files.qmpSocket, (q) => q.execute("send-key", { keys: [{ type: "qcode", data: key }] })).then(
        () => {},
      ),
  };
}

async function partitionsOf(image: string) {
  const handle = await open(image, "r");
  const head = Buffer.alloc(partitionTableBytes);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  return diskPartitions(head);
}

/**
 * Mounts each NTFS partition of `image` read-only (ntfs-3g through a loop
 * device: root only, as the original's sudo), and archives those of `paths`
 * found on the one that holds Windows.
 */
async function archiveWindowsLogs(image: string, paths: readonly string[], out: string): Promise<string[]> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "reading the NTFS partition needs root (a loop mount of ntfs-3g), as the original used sudo",
    );
  }
  const parts = await partitionsOf(image);
  const mnt = await mkdtemp(join(dirname(out), ".ntfs-"));
  try {
    for (const p of parts.filter(isWindowsData)) {
      await run("mount", [
        "-t",
        "ntfs-3g",
        "-o",
        `ro,loop,offset=${p.offset},sizelimit=${p.length}`,
        image,
        mnt,
      ]);
      try {
        if (!existsSync(join(mnt, "Windows"))) continue;
        const present = paths.filter((path) => existsSync(join(mnt, path)));
        if (present.length === 0) throw new Error(`the Windows partition holds none of ${paths.join(", ")}`);
        const temp = `${out}.writing`;
        await run("tar", ["-czf", temp, "-C", mnt, "--", ...present]);
        await rename(temp, out);
        return present;
      } finally {
        await run("umount", [mnt]);
      }
    }
    throw new Error(`no NTFS partition of ${image} holds a Windows directory`);
  } finally {
    await rm(mnt, { recursive: true, force: true });
  }
}
