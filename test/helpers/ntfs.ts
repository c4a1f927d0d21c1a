// Disk images with an NTFS partition, as Windows leaves them, made with
// sfdisk and ntfs-3g's mkntfs (no root), and their partition 1's label.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

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

/** The label of the NTFS filesystem in partition 1 (at 1 MiB). */
export const labelOf = (file: string) => {
  const part = `${file}.check`;
  execFileSync("dd", [`if=${file}`, `of=${part}`, "bs=1M", "skip=1", "conv=sparse", "status=none"]);
  try {
    return execFileSync("ntfslabel", [part]).toString().trim();
  } finally {
    rmSync(part);
  }
};
