// Packaging a sparse raw image: what GNU tar, gunzip and md5sum make of our
// output is what the seed's commands would have made.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { dataExtents, gzipFile, packSparseTarGz } from "../../src/imagebuild/pack.js";
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

test("qemu-img map gives the data extents of a sparse file, merged", async () => {
  const file = sparseImage("extents.raw", 64 << 20, [
    [1 << 20, 1 << 20],
    [2 << 20, 1 << 20],
    [40 << 20, 4096],
  ]);
  assert.deepEqual(await dataExtents(file), [
    { offset: 1 << 20, length: 2 << 20 },
    { offset: 40 << 20, length: 4096 },
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
    withMd5Member: true,
    progress: (d) => progress.push(d),
  });
  assert.equal(packed.imageMd5, md5sum(image));
  assert.equal(packed.md5, md5sum(out));
  assert.equal(packed.size, statSync(out).size);
  assert.equal(progress.at(-1), 100 << 20);
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
    withMd5Member: true,
  });
  const into = join(dir, "big");
  mkdirSync(into);
  execFileSync("tar", ["-xzSf", out, "-C", into]);
  const extracted = join(into, "windows2012r2.x86_64.kvm.md.raw");
  assert.equal(statSync(extracted).size, size);
  assert.equal(md5sum(extracted), packed.imageMd5);
});

test("gzipFile: gunzip gives the input back; both md5s are md5sum's", async () => {
  const input = join(dir, "disk.qcow2");
  writeFileSync(input, Buffer.concat([randomBytes(1 << 20), Buffer.alloc(1 << 20, "text ")]));
  const out = `${input}.gz`;
  const r = await gzipFile(input, out);
  assert.equal(r.inputMd5, md5sum(input));
  assert.equal(r.md5, md5sum(out));
  assert.equal(
    md5sum(input),
    execFileSync("bash", ["-c", `gunzip -c '${out}' | md5sum`])
      .toString()
      .split(" ")[0],
  );
});
