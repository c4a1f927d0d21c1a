// Step 28: the seed image as qcow2, gzipped, with the md5s of both. The qcow2
// is laid out so that its data clusters are the seed tar's data (qcow2.ts):
// the .gz reuses step 27's compressed pieces, and the qcow2 itself is never
// written unzipped; its md5 is made on a thread from the raw's data.
import { existsSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { md5Line, readPieceIndex } from "../pack.js";
import { seedNames } from "../seed-names.js";
import { finalDir } from "./27-package-to-wakame-tgz-image.js";
import { progressReporter, type StepContext } from "./context.js";

export async function packageToWakameQcow2Image(ctx: StepContext): Promise<void> {
  const names = seedNames(await ctx.value("LABEL"), await ctx.value("WINIMG"), await ctx.value("timestamp"));
  const final = join(ctx.dir, finalDir);
  const raw = join(final, names.raw);
  if (!existsSync(raw))
    throw new Error(`${finalDir}/${names.raw} is missing: run 27-package-to-wakame-tgz-image first`);
  const { size, mtimeMs } = await stat(raw);
  if (size % 65536 !== 0)
    throw new Error(
      `${names.raw} is ${size} bytes, not a whole number of 64 KiB qcow2 clusters: grow the image (qemu-img resize -f raw) and package it again`,
    );
  const index = await readPieceIndex(ctx.file(names.pieces(names.tar)));
  const unchanged = index && index.source.size === size && index.source.mtimeMs === mtimeMs;
  const gz = join(final, `${names.qcow2}.gz`);
  const packed = await ctx.driver.packQcow2Gz({
    raw,
    out: gz,
    reuse: unchanged ? { index: { ...index, file: join(final, names.tar) }, changed: [] } : undefined,
    progress: progressReporter(`packing ${names.qcow2}`, ctx.say),
  });
  ctx.say(
    unchanged
      ? `${packed.reused} of ${packed.pieces} compressed pieces reused from ${names.tar}`
      : `${names.raw} changed since step 27 (or step 27's index is gone): all compressed anew`,
  );
  await writeFile(`${join(final, names.qcow2)}.md5`, md5Line(packed.qcow2Md5, names.qcow2));
  await writeFile(`${gz}.md5`, md5Line(packed.md5, `${names.qcow2}.gz`));
  ctx.say(`${finalDir}/${names.qcow2}.gz: ${packed.size} bytes, md5 ${packed.md5}`);
}
