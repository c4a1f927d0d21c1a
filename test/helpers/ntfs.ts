// Disk images with an NTFS partition, as Windows leaves them, made with
// sfdisk and ntfs-3g's mkntfs (no root), and their root partition's label.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readSync, rmSync } from "node:fs";
import { diskPartitions, partitionTableBytes, rootPartition } from "../../src/imagebuild/disk-partitions.js";

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

/**
 * A sparse GPT disk image of 64 MiB as a UEFI install of Windows lays it out:
 * an EFI system partition (FAT) of 8 MiB, the Microsoft reserved partition,
 * then Windows' NTFS labelled `label` to the end.
 */
export function gptWindowsDisk(file: string, label: string): void {
  execFileSync("truncate", ["-s", "64M", file]);
  execFileSync("sfdisk", ["-q", file], {
    input:
      "label: gpt\n" +
      "start=2048, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n" +
      "size=32768, type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE\n" +
      "type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n",
  });
  execFileSync(
    "mformat",
    ["-i", `${file}@@1M`, "-T", "16384", "-h", "64", "-s", "32", "-v", "SYSTEM", "::"],
    {
      env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
    },
  );
  const start = 25 << 20;
  const sectors = Number(
    /start=\s*51200, size=\s*(\d+)/.exec(execFileSync("sfdisk", ["-d", file]).toString())?.[1],
  );
  const part = `${file}.p3`;
  execFileSync("truncate", ["-s", String(sectors * 512), part]);
  execFileSync("mkntfs", ["-q", "-F", "-Q", "-L", label, part], { stdio: "ignore" });
  execFileSync("dd", [
    `if=${part}`,
    `of=${file}`,
    "bs=1M",
    `seek=${start >> 20}`,
    "conv=notrunc,sparse",
    "status=none",
  ]);
  rmSync(part);
}

/** The partitions of a disk image, read from its first sectors only (images can be 64 GiB). */
export function partitionsOf(file: string) {
  const head = Buffer.alloc(partitionTableBytes);
  const fd = openSync(file, "r");
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  return diskPartitions(head);
}

/** The label of the NTFS filesystem in the root partition (partition 1 on MBR, Windows' on GPT). */
export const labelOf = (file: string) => {
  const root = rootPartition(partitionsOf(file));
  if (!root) throw new Error(`${file} has no root partition`);
  const part = `${file}.check`;
  // Only the data qemu-img finds in the partition is copied: a 64 GiB partition of holes takes no time.
  execFileSync("truncate", ["-s", String(root.length), part]);
  const map = JSON.parse(
    execFileSync("qemu-img", ["map", "--output=json", "-f", "raw", file]).toString(),
  ) as {
    start: number;
    length: number;
    data: boolean;
  }[];
  for (const extent of map.filter((e) => e.data)) {
    const from = Math.max(extent.start, root.offset);
    const to = Math.min(extent.start + extent.length, root.offset + root.length);
    if (from >= to) continue;
    execFileSync("dd", [
      `if=${file}`,
      `of=${part}`,
      "bs=1M",
      "iflag=skip_bytes,count_bytes",
      "oflag=seek_bytes",
      `skip=${from}`,
      `seek=${from - root.offset}`,
      `count=${to - from}`,
      "conv=notrunc",
      "status=none",
    ]);
  }
  try {
    return execFileSync("ntfslabel", [part]).toString().trim();
  } finally {
    rmSync(part);
  }
};
