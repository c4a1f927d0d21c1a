// Packaging a seed image fast: read each data extent of the sparse raw image
// once (holes are never read: `qemu-img map` lists where the data is), hash
// as md5sum would while writing, compress on every core (pigz), and
// compress each piece of data only once across the three packaging steps.
//
// The data is compressed in pieces of 32 MiB, each its own gzip member (a
// .gz may hold many members one after the other; gzip, tar and zlib read them
// as one stream). Step 26's pieces are copied, compressed, into step 27's
// tar.gz (only those that the NTFS label touched are compressed again), and
// step 27's into step 28's qcow2.gz: the qcow2 is laid out so that its data
// clusters are the tar's data byte for byte (qcow2.ts). Each packed file
// leaves an index of its pieces beside it for the next step. Outputs are
// written to a temporary file and renamed: nothing half-written is left.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, setPriority } from "node:os";
import { basename } from "node:path";
import { type DiskImage, dataExtents, openRawImage, readRanges } from "./disk-image.js";
import { imageMd5 as hashImage, prefixedDataMd5 } from "./image-md5.js";
import { qcow2Layout } from "./qcow2.js";
import { archiveEnd, type Extent, padding, plainFile, sparseFileStart } from "./sparse-tar.js";

const pieceSize = 32 << 20;

/** A gzip member of a packed file: bytes [data, data+length) of the image's data stream. */
export interface Piece {
  data: number;
  length: number;
  fileOffset: number;
  fileLength: number;
}

/** What a packed file holds, kept beside the build so that the next step can reuse its compressed pieces. */
export interface PieceIndex {
  /** The packed file. */
  file: string;
  /** The image its data came from, as it was then. */
  source: { size: number; mtimeMs: number };
  extents: Extent[];
  pieces: Piece[];
}

export const readPieceIndex = async (file: string): Promise<PieceIndex | undefined> =>
  existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as PieceIndex) : undefined;

async function writePieceIndex(file: string, index: PieceIndex): Promise<void> {
  await writeFile(`${file}.writing`, JSON.stringify(index));
  await rename(`${file}.writing`, file);
}

export interface Packed {
  /** md5 of the image, as md5sum prints it ("" unless asked for). */
  imageMd5: string;
  /** md5 of the written file. */
  md5: string;
  /** Bytes of the written file. */
  size: number;
  /** Pieces reused from the previous step's file, of `pieces` in all. */
  reused: number;
  pieces: number;
}

/** A line of md5sum's format, which `md5sum -c` accepts. */
export const md5Line = (md5: string, name: string) => `${md5}  ${name}\n`;

/** One gzip member of `data`, made by pigz on `threads` cores. */
function gzipMember(data: Buffer, threads: number, niceness = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pigz = spawn("pigz", ["-c", "-n", "-p", String(threads)], { stdio: ["pipe", "pipe", "inherit"] });
    if (niceness && pigz.pid) setPriority(pigz.pid, niceness);
    const out: Buffer[] = [];
    pigz.stdout.on("data", (c: Buffer) => out.push(c));
    pigz.on("error", (err) => reject(new Error(`pigz: ${err.message} (apt-get install pigz)`)));
    pigz.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`pigz exited with status ${code}`)),
    );
    pigz.stdin.on("error", () => {});
    pigz.stdin.end(data);
  });
}

/** The image ranges that hold bytes [from, from+length) of the data stream of `extents`. */
function imageRanges(extents: readonly Extent[], from: number, length: number): Extent[] {
  const ranges: Extent[] = [];
  let at = 0;
  for (const e of extents) {
    const start = Math.max(from, at);
    const end = Math.min(from + length, at + e.length);
    if (start < end) ranges.push({ offset: e.offset + (start - at), length: end - start });
    at += e.length;
    if (at >= from + length) break;
  }
  return ranges;
}

/** Whether the data piece [data, data+length) holds a byte of one of the image ranges `changed`. */
function touched(extents: readonly Extent[], piece: Piece, changed: readonly Extent[]): boolean {
  return imageRanges(extents, piece.data, piece.length).some((r) =>
    changed.some((c) => c.offset < r.offset + r.length && r.offset < c.offset + c.length),
  );
}

/**
 * Reuse of the previous step's pieces, for an image whose bytes are those the
 * previous step packed but for the `changed` ranges (which are compressed
 * anew). The previous step's extents are packed again, so the data stream is
 * the same even where a copy made holes of zeros.
 */
export interface Reuse {
  index: PieceIndex;
  changed: readonly Extent[];
}

/**
 * Writes `out` (through a temporary file): `head` and `tail` as members of
 * their own, between them the image's data stream in pieces, each copied
 * from `reuse` when it has it unchanged, else compressed. Returns the md5 and
 * size of the file and its piece index.
 */
async function writePacked(o: {
  image: DiskImage;
  extents: Extent[];
  head: Buffer;
  tail: () => Promise<Buffer>;
  out: string;
  reuse?: Reuse;
  /** Cores for the compressor. */
  threads: number;
  /** The compressor's nice value: above 0 on a host whose VMs come first. */
  niceness?: number;
  progress?: (done: number, total: number) => void;
}): Promise<{ md5: string; size: number; index: PieceIndex; reused: number; pieces: number }> {
  const temp = `${o.out}.writing`;
  const hash = createHash("md5");
  const total = o.extents.reduce((n, e) => n + e.length, 0);
  const { size: imageSize, mtimeMs } = o.image;
  // The callers pack the reused index's own extents, so its pieces line up.
  const reusable = o.reuse;
  if (reusable && imageSize !== reusable.index.source.size)
    throw new Error(
      `${o.image.file} is ${imageSize} bytes, not the ${reusable.index.source.size} of the pieces' image`,
    );
  const from = reusable ? await open(reusable.index.file, "r") : undefined;
  const file = await open(temp, "w");
  let pos = 0;
  const append = async (bytes: Buffer) => {
    hash.update(bytes);
    await file.write(bytes, 0, bytes.length, pos);
    pos += bytes.length;
  };
  const pieces: Piece[] = [];
  let reused = 0;
  try {
    await append(await gzipMember(o.head, o.threads, o.niceness));
    const plan: { data: number; length: number; copy?: Piece }[] = [];
    for (let data = 0; data < total; data += pieceSize) {
      const length = Math.min(pieceSize, total - data);
      const old = reusable?.index.pieces.find((p) => p.data === data && p.length === length);
      const copy = old && !touched(o.extents, old, reusable!.changed) ? old : undefined;
      plan.push({ data, length, copy });
    }
    // Each piece is read (or copied) while the one before it is compressed.
    const load = (i: number) => {
      const p = plan[i]!;
      if (p.copy)
        return readRanges(
          from!,
          [{ offset: p.copy.fileOffset, length: p.copy.fileLength }],
          reusable!.index.file,
        );
      return o.image
        .read(imageRanges(o.extents, p.data, p.length))
        .then((d) => gzipMember(d, o.threads, o.niceness));
    };
    let next = plan.length > 0 ? load(0) : undefined;
    for (let i = 0; i < plan.length; i++) {
      const member = await next!;
      next = i + 1 < plan.length ? load(i + 1) : undefined;
      next?.catch(() => {});
      pieces.push({
        data: plan[i]!.data,
        length: plan[i]!.length,
        fileOffset: pos,
        fileLength: member.length,
      });
      if (plan[i]!.copy) reused++;
      await append(member);
      o.progress?.(plan[i]!.data + plan[i]!.length, total);
    }
    const tail = await o.tail();
    if (tail.length > 0) await append(await gzipMember(tail, o.threads, o.niceness));
    await file.close();
    await rename(temp, o.out);
  } finally {
    await file.close().catch(() => {});
    await from?.close();
    await rm(temp, { force: true });
  }
  const index = { file: o.out, source: { size: imageSize, mtimeMs }, extents: o.extents, pieces };
  return { md5: hash.digest("hex"), size: pos, index, reused, pieces: pieces.length };
}

/**
 * `out`: a gzipped sparse tar of `image` stored as `name`, then, if asked, a
 * `name.md5` member holding the image's md5 (as step 26 makes: the original
 * ran `md5sum` and `tar czSf` one after the other, reading the image twice).
 * The image's md5 costs a pass over every byte, holes included (about 50 s
 * for 30 GiB on one core), so it is made only with the md5 member, on its
 * own thread while the data streams to the compressor. The piece index is
 * written to `indexFile`.
 */
export async function packSparseTarGz(o: {
  /** A raw image file; or `disk`, a disk read another way (with the extents that hold its data). */
  image?: string;
  disk?: { image: DiskImage; extents: Extent[] };
  name?: string;
  out: string;
  indexFile: string;
  withMd5Member?: boolean;
  /** Small files after the image (a backup's UEFI variable store). */
  alongside?: readonly { name: string; content: Buffer }[];
  /** The compressor's nice value (a host agent's backups give way to its VMs). */
  niceness?: number;
  reuse?: Reuse;
  progress?: (done: number, total: number) => void;
}): Promise<Packed> {
  if (o.disk) return packImage(o, o.disk.image);
  const image = await openRawImage(o.image!);
  try {
    return await packImage(o, image);
  } finally {
    await image.close();
  }
}

async function packImage(o: Parameters<typeof packSparseTarGz>[0], image: DiskImage): Promise<Packed> {
  const name = o.name ?? basename(image.file);
  const { size, mtimeMs } = image;
  const mtime = mtimeMs / 1000;
  const extents = o.reuse?.index.extents ?? o.disk?.extents ?? (await dataExtents(image.file));
  // Over the file itself: a raw image's (step 26's).
  const imageHash = o.withMd5Member ? hashImage(image.file, extents, size) : null;
  // Awaited below; a failure before then must not go unhandled.
  imageHash?.catch(() => {});
  const { start, memberSize } = sparseFileStart(name, size, extents, mtime);
  let imageMd5 = "";
  const written = await writePacked({
    image,
    extents,
    head: start,
    out: o.out,
    reuse: o.reuse,
    // The md5 of the whole image is the longest task and cannot be split:
    // its thread keeps a core, the compressor takes the others.
    threads: imageHash ? Math.max(1, availableParallelism() - 1) : availableParallelism(),
    niceness: o.niceness,
    progress: o.progress,
    async tail() {
      imageMd5 = imageHash ? await imageHash : "";
      const md5Member = o.withMd5Member
        ? plainFile(`${name}.md5`, Buffer.from(md5Line(imageMd5, name)), mtime)
        : [];
      const others = (o.alongside ?? []).map((f) => plainFile(f.name, f.content, mtime));
      return Buffer.concat([
        Buffer.alloc(padding(memberSize)),
        ...[md5Member].flat(),
        ...others,
        archiveEnd(),
      ]);
    },
  });
  await writePieceIndex(o.indexFile, written.index);
  return { imageMd5, md5: written.md5, size: written.size, reused: written.reused, pieces: written.pieces };
}

/**
 * `out`: the qcow2 of `raw`, gzipped, never written unzipped: the metadata
 * (qcow2.ts) then the data clusters, whose pieces come from `reuse` (step
 * 27's tar.gz of the same raw). Returns the qcow2's md5 (hashed on its own
 * thread) and the .gz's.
 */
export async function packQcow2Gz(o: {
  raw: string;
  out: string;
  reuse?: Reuse;
  progress?: (done: number, total: number) => void;
}): Promise<{ qcow2Md5: string; md5: string; size: number; reused: number; pieces: number }> {
  const { size } = await stat(o.raw);
  const extents = o.reuse?.index.extents ?? (await dataExtents(o.raw));
  const { metadata } = qcow2Layout(size, extents);
  const qcow2Hash = prefixedDataMd5(metadata, o.raw, extents);
  qcow2Hash.catch(() => {});
  const image = await openRawImage(o.raw);
  const written = await writePacked({
    image,
    extents,
    head: metadata,
    tail: async () => Buffer.alloc(0),
    out: o.out,
    reuse: o.reuse,
    threads: availableParallelism(),
    progress: o.progress,
  }).finally(() => image.close());
  return {
    qcow2Md5: await qcow2Hash,
    md5: written.md5,
    size: written.size,
    reused: written.reused,
    pieces: written.pieces,
  };
}
