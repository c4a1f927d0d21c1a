// md5s on a thread of their own, while the main thread streams data to the
// compressor. The md5 of a whole sparse image, as md5sum prints it, must pass
// over every byte, holes included (they are hashed as the zeros they are,
// from memory, never read from disk), and at ~0.6 GiB/s that is the longest
// part of packaging a 30 GiB image. The md5 of a stream made of some bytes
// and then an image's data extents is the md5 of a qcow2 never written.
import { Worker } from "node:worker_threads";
import type { Extent } from "./sparse-tar.js";

// CommonJS source for an eval'd worker, so that it also runs from the
// bundled commands (a worker file beside this module would not be there).
const workerSource = `
const { workerData, parentPort } = require("node:worker_threads");
const { openSync, readSync, closeSync } = require("node:fs");
const { createHash } = require("node:crypto");
const { file, extents, size, prefix, holes: withHoles } = workerData;
const chunk = 4 << 20;
const zeros = Buffer.alloc(chunk);
const buf = Buffer.allocUnsafe(chunk);
const hash = createHash("md5");
const holes = (n) => { if (withHoles) for (let left = n; left > 0; left -= chunk) hash.update(left >= chunk ? zeros : zeros.subarray(0, left)); };
if (prefix) hash.update(prefix);
const fd = openSync(file, "r");
try {
  let at = 0;
  for (const e of extents) {
    holes(e.offset - at);
    for (let pos = e.offset; pos < e.offset + e.length; ) {
      const n = readSync(fd, buf, 0, Math.min(chunk, e.offset + e.length - pos), pos);
      if (n <= 0) throw new Error(file + " is shorter than qemu-img map said");
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    at = e.offset + e.length;
  }
  holes(size - at);
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest("hex"));
`;

function hashOnThread(workerData: {
  file: string;
  extents: readonly Extent[];
  size: number;
  prefix: Buffer | null;
  holes: boolean;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the md5 thread stopped with status ${code}`));
    });
  });
}

/** md5 of the whole image, holes included. */
export const imageMd5 = (file: string, extents: readonly Extent[], size: number) =>
  hashOnThread({ file, extents, size, prefix: null, holes: true });

/** md5 of `prefix` followed by the bytes of `extents` of `file`, holes left out. */
export const prefixedDataMd5 = (prefix: Buffer, file: string, extents: readonly Extent[]) =>
  hashOnThread({ file, extents, size: 0, prefix, holes: false });
