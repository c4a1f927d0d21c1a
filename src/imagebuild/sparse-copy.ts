// Copying the data of sparse files, never their holes.
import { open, rename, rm, stat } from "node:fs/promises";
import { dataExtents } from "./pack.js";
import type { Extent } from "./sparse-tar.js";

const chunk = 4 << 20;

/** Copies the data of `extents` (offsets in `from`) into `to`, each moved by `shift`. */
export async function copyExtents(
  from: string,
  to: string,
  extents: readonly Extent[],
  shift: number,
): Promise<void> {
  const src = await open(from, "r");
  const dst = await open(to, "r+");
  try {
    const buf = Buffer.allocUnsafe(chunk);
    for (const e of extents) {
      for (let pos = e.offset; pos < e.offset + e.length; pos += chunk) {
        const n = Math.min(chunk, e.offset + e.length - pos);
        const { bytesRead } = await src.read(buf, 0, n, pos);
        await dst.write(buf, 0, bytesRead, pos + shift);
      }
    }
  } finally {
    await src.close();
    await dst.close();
  }
}

/** `to`: a sparse copy of `from`, written whole or not at all. */
export async function sparseCopy(from: string, to: string): Promise<void> {
  const temp = `${to}.copying`;
  try {
    const blank = await open(temp, "w");
    await blank.truncate((await stat(from)).size);
    await blank.close();
    await copyExtents(from, temp, await dataExtents(from), 0);
    await rename(temp, to);
  } finally {
    await rm(temp, { force: true });
  }
}
