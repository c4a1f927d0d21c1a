// Disk images with an NTFS partition, as Windows leaves them, made with
// sfdisk and ntfs-3g's mkntfs (no root), and their partition 1's label.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readSync, rmSync } from "node:fs";
import { mbrPartitions } from "../../src/imagebuild/mbr.js";

/** A sparse disk image of `mib` MiB: MBR, partition 1 (type 7) from 1 MiB to the end holding NTFS labelled `label`. */
export function ntfsDisk(file: string, label: string, mib = 64): void {
  execFileSync("truncate", ["-s", `${mib}M`, file]);
  execFileSync("sfdisk", ["-q", file], { input: "label: dos\nstart=2048, type=7\n" });
  const part = `${file}.p1`;
  execFileSync("truncate", ["-s", `${mib - 1}M`, part]);
  execFileSync("mkntfs", ["-q", "-F", "-Q", "-L", label, part], { stdio: "ignore" });
  execFileSync("dd", [`if=${part}`, `of=${file}`, "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none"]);
  rmSync(part);
}

/** The label of the NTFS filesystem in partition 1, wherever the MBR puts it. */
export const labelOf = (file: string) => {
  const first = Buffer.alloc(512);
  const fd = openSync(file, "r");
  readSync(fd, first, 0, 512, 0);
  closeSync(fd);
  const p1 = mbrPartitions(first).find((p) => p.number === 1);
  if (!p1) throw new Error(`${file} has no partition 1`);
  const part = `${file}.check`;
  execFileSync("dd", [
    `if=${file}`,
    `of=${part}`,
    "bs=512",
    `skip=${p1.offset / 512}`,
    `count=${p1.length / 512}`,
    "conv=sparse",
    "status=none",
  ]);
  try {
    return execFileSync("ntfslabel", [part]).toString().trim();
  } finally {
    rmSync(part);
  }
};
