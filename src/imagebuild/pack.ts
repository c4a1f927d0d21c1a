// Packaging a seed image fast: read each data extent of the sparse raw image
// once (holes are never read: `qemu-img map` lists where the data is), hash
// the image as md5sum would (holes hashed as the zeros they are) and the
// output while it is written, and compress on every core (pigz). The output
// is written to a temporary file and renamed: nothing half-written is left.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { imageMd5 as hashImage } from "./image-md5.js";
import { archiveEnd, type Extent, padding, plainFile, sparseFileStart } from "./sparse-tar.js";

const run = promisify(execFile);
const chunk = 4 << 20;

/** Where `file` (raw) holds data, merged into runs; everything else reads as zeros. */
export async function dataExtents(file: string): Promise<Extent[]> {
  const { stdout } = await run("qemu-img", ["map", "--output=json", "-f", "raw", file], {
    maxBuffer: 256 << 20,
  });
  const extents: Extent[] = [];
  for (const e of JSON.parse(stdout) as { start: number; length: number; data: boolean }[]) {
    if (!e.data) continue;
    const last = extents.at(-1);
    if (last && last.offset + last.length === e.start) last.length += e.length;
    else extents.push({ offset: e.start, length: e.length });
  }
  return extents;
}

/** The image's bytes, extent by extent, each read once. */
async function* imageData(file: string, extents: readonly Extent[], progress: (done: number) => void) {
  const fd = await open(file, "r");
  try {
    for (const e of extents) {
      for (let pos = e.offset; pos < e.offset + e.length; ) {
        const want = Math.min(chunk, e.offset + e.length - pos);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fd.read(buf, 0, want, pos);
        if (bytesRead !== want) throw new Error(`${file} is shorter than qemu-img map said`);
        yield buf;
        pos += want;
        progress(pos);
      }
    }
  } finally {
    await fd.close();
  }
}

export interface Packed {
  /** md5 of the image, as md5sum prints it ("" unless asked for). */
  imageMd5: string;
  /** md5 of the written file. */
  md5: string;
  /** Bytes of the written file. */
  size: number;
}

/** A line of md5sum's format, which `md5sum -c` accepts. */
export const md5Line = (md5: string, name: string) => `${md5}  ${name}\n`;

/** Compresses `source` with pigz into `out` (via a temporary file), hashing what is written. */
async function gzipTo(source: Readable, out: string): Promise<{ md5: string; size: number }> {
  const temp = `${out}.writing`;
  const md5 = createHash("md5");
  const pigz = spawn("pigz", ["-c"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve, reject) => {
    pigz.on("error", (err) => reject(new Error(`pigz: ${err.message} (apt-get install pigz)`)));
    pigz.on("close", resolve);
  });
  try {
    await Promise.all([
      pipeline(source, pigz.stdin),
      pipeline(
        pigz.stdout,
        new Transform({
          transform(c: Buffer, _e, done) {
            md5.update(c);
            done(null, c);
          },
        }),
        createWriteStream(temp),
      ),
    ]);
    const code = await exited;
    if (code !== 0) throw new Error(`pigz exited with status ${code}`);
    await rename(temp, out);
    return { md5: md5.digest("hex"), size: (await stat(out)).size };
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * `out`: a gzipped sparse tar of `image` stored as `name`, then, if asked, a
 * `name.md5` member holding the image's md5 (as step 26 makes: the original
 * ran `md5sum` and `tar czSf` one after the other, reading the image twice).
 * The image's md5 costs a pass over every byte, holes included (about 50 s
 * for 30 GiB on one core), so it is made only with the md5 member, on its
 * own thread while the data streams to the compressor.
 */
export async function packSparseTarGz(o: {
  image: string;
  name?: string;
  out: string;
  withMd5Member?: boolean;
  progress?: (done: number, total: number) => void;
}): Promise<Packed> {
  const name = o.name ?? basename(o.image);
  const { size, mtimeMs } = await stat(o.image);
  const mtime = mtimeMs / 1000;
  const extents = await dataExtents(o.image);
  const imageHash = o.withMd5Member ? hashImage(o.image, extents, size) : null;
  // Awaited in the archive below; a failure before then must not go unhandled.
  imageHash?.catch(() => {});
  const { start, memberSize } = sparseFileStart(name, size, extents, mtime);
  let imageMd5 = "";
  const report = (done: number) => o.progress?.(done, size);
  async function* archive() {
    yield start;
    yield* imageData(o.image, extents, report);
    yield Buffer.alloc(padding(memberSize));
    imageMd5 = imageHash ? await imageHash : "";
    report(size);
    if (o.withMd5Member) yield plainFile(`${name}.md5`, Buffer.from(md5Line(imageMd5, name)), mtime);
    yield archiveEnd();
  }
  const written = await gzipTo(Readable.from(archive()), o.out);
  return { imageMd5, ...written };
}

/** `out` = `file` gzipped on every core, with the md5s of both, each file read once. */
export async function gzipFile(
  file: string,
  out: string,
): Promise<{ inputMd5: string; md5: string; size: number }> {
  const inputMd5 = createHash("md5");
  const source = createReadStream(file, { highWaterMark: chunk }).pipe(
    new Transform({
      transform(c: Buffer, _e, done) {
        inputMd5.update(c);
        done(null, c);
      },
    }),
  );
  const written = await gzipTo(source, out);
  return { inputMd5: inputMd5.digest("hex"), ...written };
}
