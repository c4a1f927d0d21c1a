// Packaging a sparse raw image: what GNU tar, gunzip and md5sum make of our
// output is what the seed's commands would have made.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { dataExtents } from "../../src/imagebuild/disk-image.js";
import { packQcow2Gz, packSparseTarGz, readPieceIndex } from "../../src/imagebuild/pack.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("pack");
after(() => rmSync(dir, { recursive: true, force: true }));

const md5sum = (file: string) => execFileSync("md5sum", [file]).toString().split(" ")[0]!;

/** A sparse file of `size` bytes with random data at `at` (offset, bytes) pairs. */
function sparseImage(name: string, size: number, at: [number, number][]): string {
  const file = join(dir, name);
  const fd = openSync(file, "w");
  for (const [offset, length] of at) writeSync(fd, randomBytes(length), 0, length, offset);
  closeSync(fd);
  execFileSync("truncate", ["-s", String(size), file]);
  return file;
}

test("qemu-img map gives the data extents of a sparse file, merged and widened to 64 KiB clusters", async () => {
  const file = sparseImage("extents.raw", 64 << 20, [
    [1 << 20, 1 << 20],
    [2 << 20, 1 << 20],
    [40 << 20, 4096],
  ]);
  assert.deepEqual(await dataExtents(file), [
    { offset: 1 << 20, length: 2 << 20 },
    { offset: 40 << 20, length: 65536 },
  ]);
});

test("a sparse tar.gz with its .md5 member: GNU tar extracts the same bytes, sparse, and md5sum -c accepts the md5", async () => {
  const image = sparseImage("win-2008.raw", 100 << 20, [
    [0, 65536],
    [10 << 20, 3 << 20],
    [77 << 20, 12345],
  ]);
  const out = join(dir, "windows-2008-test.tar.gz");
  const progress: number[] = [];
  const packed = await packSparseTarGz({
    image,
    out,
    indexFile: join(dir, "simple.pieces.json"),
    withMd5Member: true,
    progress: (d) => progress.push(d),
  });
  assert.equal(packed.imageMd5, md5sum(image));
  assert.equal(packed.md5, md5sum(out));
  assert.equal(packed.size, statSync(out).size);
  assert.equal(progress.at(-1), 65536 + (3 << 20) + 65536, "the data, in whole clusters");
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith(".writing")),
    [],
    "no temporary file left",
  );

  const listed = execFileSync("tar", ["-tzf", out]).toString().trim().split("\n");
  assert.deepEqual(listed, ["win-2008.raw", "win-2008.raw.md5"]);
  const into = join(dir, "extracted");
  mkdirSync(into);
  execFileSync("tar", ["-xzf", out, "-C", into]);
  execFileSync("cmp", [image, join(into, "win-2008.raw")]);
  const extracted = statSync(join(into, "win-2008.raw"));
  assert.equal(extracted.size, 100 << 20);
  assert.ok(extracted.blocks * 512 < 8 << 20, `extracted sparse (${extracted.blocks * 512} bytes allocated)`);
  execFileSync("md5sum", ["-c", "win-2008.raw.md5"], { cwd: into });
});

test("an image of more than 8 GiB, ending in a hole, round-trips through GNU tar", async () => {
  const size = 8 * 2 ** 30 + (64 << 20);
  const image = sparseImage("big.raw", size, [[size - (32 << 20), 4096]]);
  const out = join(dir, "big.raw.tar.gz");
  const packed = await packSparseTarGz({
    image,
    name: "windows2012r2.x86_64.kvm.md.raw",
    out,
    indexFile: join(dir, "big.pieces.json"),
    withMd5Member: true,
  });
  const into = join(dir, "big");
  mkdirSync(into);
  execFileSync("tar", ["-xzSf", out, "-C", into]);
  const extracted = join(into, "windows2012r2.x86_64.kvm.md.raw");
  assert.equal(statSync(extracted).size, size);
  assert.equal(md5sum(extracted), packed.imageMd5);
});

test("the qcow2.gz: a qcow2 that qemu-img checks and finds equal to the raw; both md5s are md5sum's", async () => {
  const raw = sparseImage("seed.raw", 3 * 2 ** 30, [
    [4096, 3000],
    [700 << 20, 40 << 20],
    [3 * 2 ** 30 - 65536, 65536],
  ]);
  const gz = join(dir, "seed.qcow2.gz");
  const packed = await packQcow2Gz({ raw, out: gz });
  assert.equal(packed.reused, 0);
  assert.equal(packed.md5, md5sum(gz));
  const qcow2 = join(dir, "seed.qcow2");
  execFileSync("bash", ["-c", `gunzip -c '${gz}' > '${qcow2}'`]);
  assert.equal(packed.qcow2Md5, md5sum(qcow2));
  execFileSync("qemu-img", ["check", qcow2]);
  execFileSync("qemu-img", ["compare", "-f", "raw", "-F", "qcow2", raw, qcow2]);
  assert.ok(statSync(qcow2).size < 45 << 20, "data clusters only");
});

test("compressed pieces are reused from one step to the next; changed bytes are compressed anew", async () => {
  const image = sparseImage("reuse.raw", 1 << 30, [
    [0, 65536],
    [100 << 20, 80 << 20],
  ]);
  const first = join(dir, "first.tar.gz");
  const index = join(dir, "first.pieces.json");
  await packSparseTarGz({ image, out: first, indexFile: index });
  const pieces = (await readPieceIndex(index))!;
  assert.deepEqual(
    pieces.pieces.map((p) => p.length),
    [32 << 20, 32 << 20, (80 << 20) + 65536 - (64 << 20)],
  );
  // Bytes in the third piece change, as the NTFS label does.
  const fd = openSync(image, "r+");
  writeSync(fd, Buffer.from("relabelled"), 0, 10, (170 << 20) + 5);
  closeSync(fd);
  const second = join(dir, "second.tar.gz");
  const secondIndex = join(dir, "second.pieces.json");
  const packed = await packSparseTarGz({
    image,
    out: second,
    indexFile: secondIndex,
    reuse: { index: pieces, changed: [{ offset: (170 << 20) + 5, length: 10 }] },
  });
  assert.equal(packed.reused, 2);
  const into = join(dir, "reused");
  mkdirSync(into);
  execFileSync("tar", ["-xzf", second, "-C", into]);
  execFileSync("cmp", [image, join(into, "reuse.raw")]);
  const qcow2gz = await packQcow2Gz({
    raw: image,
    out: join(dir, "reuse.qcow2.gz"),
    reuse: { index: (await readPieceIndex(secondIndex))!, changed: [] },
  });
  assert.equal(qcow2gz.reused, 3);
  const qcow2 = join(dir, "reuse.qcow2");
  execFileSync("bash", ["-c", `gunzip -c '${join(dir, "reuse.qcow2.gz")}' > '${qcow2}'`]);
  execFileSync("qemu-img", ["compare", "-f", "raw", "-F", "qcow2", image, qcow2]);
});
