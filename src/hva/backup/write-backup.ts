// Writing an instance's disk into a backup storage as a new backup object:
// flattened (a qcow2 overlay read in place with its cached image, as one
// disk, disk-chain.ts; one that cannot be, copied into one sparse raw file
// first; a raw disk read as it is), packed as the builder packs a seed image (a
// gzipped sparse tar, data extents only, compressed on every core, md5 while
// it is written: imagebuild/pack.ts), a UEFI instance's variable store beside
// the disk. A `file://` storage is written in place (a temporary name renamed
// when whole); an HTTP (WebDAV) one gets the packed file by PUT. Whatever
// fails, nothing is left: not in the storage, not in the work directory.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  putStoredObject,
  removeStoredObject,
  storedObjectPath,
} from "../../backup-storage/stored-objects.js";
import { packSparseTarGz } from "../../imagebuild/pack.js";
import { type BackupPhase, backupProgress } from "../../model/backup.js";
import { efiVarsName } from "../image-cache.js";
import type { InstanceDisk } from "../instance-disk.js";
import { openDiskChain } from "./disk-chain.js";

export interface BackupTarget {
  storage_uri: string;
  object_key: string;
}

export interface WrittenBackup {
  /** Bytes of the disk image. */
  size: number;
  /** Bytes of the packed file. */
  allocationSize: number;
  /** md5 of the packed file. */
  checksum: string;
}

/** The name of the disk inside the backup's tar. */
const diskName = "disk.raw";

export async function writeBackup(o: {
  disk: InstanceDisk;
  /** A UEFI instance's variable store; null for BIOS. */
  efiVars: string | null;
  target: BackupTarget;
  /** Scratch space of the instance's own (its directory). */
  work: string;
  /** Percent of the whole backup (model/backup.ts phases). */
  progress: (percent: number) => void;
}): Promise<WrittenBackup> {
  const { target, work } = o;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  let disk: Awaited<ReturnType<typeof openDiskChain>> = null;
  try {
    disk = o.disk.format === "qcow2" ? await openDiskChain(o.disk.file) : null;
    const flattens = o.disk.format === "qcow2" && !disk;
    const at = (phase: BackupPhase) => (done: number, total: number) =>
      o.progress(backupProgress(phase, done, total, flattens));
    const raw = flattens ? join(work, diskName) : o.disk.file;
    if (flattens) await flatten(o.disk.file, raw, at("flatten"));
    const inPlace = storedObjectPath(target.storage_uri, target.object_key);
    const packed = inPlace ?? join(work, "packed.tar.gz");
    const alongside =
      o.efiVars && existsSync(o.efiVars) ? [{ name: efiVarsName, content: await readFile(o.efiVars) }] : [];
    const written = await packSparseTarGz({
      ...(disk ? { disk } : { image: raw }),
      name: diskName,
      out: packed,
      indexFile: join(work, "pieces.json"),
      alongside,
      // The host's VMs first: the compressor takes what they leave.
      niceness: 10,
      progress: at("pack"),
    });
    if (!inPlace) await putStoredObject(target.storage_uri, target.object_key, packed, at("upload"));
    const size = disk ? disk.image.size : (await stat(raw)).size;
    return { size, allocationSize: written.size, checksum: written.md5 };
  } catch (err) {
    // Nothing half-written stays where hosts would fetch it.
    await removeStoredObject(target.storage_uri, target.object_key).catch(() => {});
    throw err;
  } finally {
    await disk?.image.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** `to`: the disk `from` (qcow2, with its backing chain) as one sparse raw file; progress from qemu-img's own. */
function flatten(from: string, to: string, progress: (done: number, total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const qemuImg = spawn("qemu-img", ["convert", "-p", "-W", "-f", "qcow2", "-O", "raw", from, to], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    qemuImg.stdout.on("data", (d: Buffer) => {
      for (const m of d.toString().matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) progress(Number(m[1]), 100);
    });
    qemuImg.stderr.on("data", (d) => {
      stderr += d;
    });
    qemuImg.on("error", (err) => reject(new Error(`qemu-img: ${err.message}`)));
    qemuImg.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`qemu-img could not flatten the disk: ${stderr.trim() || `status ${code}`}`)),
    );
  });
}
