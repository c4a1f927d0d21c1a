// Step 27: the seed image. A sparse copy of WINIMG named for the store, its
// root partition's NTFS labelled `root` (images say root_device label:root:
// partition 1 on MBR, Windows' own on GPT), its sparse tar.gz with .md5, and
// the .install.sh that registers it with the image's features. Made in
// final-seed-image.partial/ and renamed when whole. The data step 26
// compressed is reused, but for the pieces the label changed, when WINIMG is
// as step 26 found it.
import { existsSync } from "node:fs";
import { copyFile, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isGpt, rootPartition } from "../disk-partitions.js";
import { installParamsDir } from "../install-params.js";
import { imageFeatures, installScript } from "../install-script.js";
import { md5Line, readPieceIndex } from "../pack.js";
import { seedNames } from "../seed-names.js";
import { progressReporter, type StepContext } from "./context.js";

export const finalDir = "final-seed-image";

export async function packageToWakameTgzImage(ctx: StepContext): Promise<void> {
  const label = await ctx.value("LABEL");
  const winimg = await ctx.value("WINIMG");
  const names = seedNames(label, winimg, await ctx.value("timestamp"));
  const final = join(ctx.dir, finalDir);
  if (existsSync(final))
    throw new Error(`${final} exists already: the seed image is packaged (remove it to package again)`);
  if (!existsSync(join(ctx.dir, names.winimgMd5)))
    throw new Error(`${names.winimgMd5} is missing: run 26-make-simple-tar-of-image first`);
  const work = `${final}.partial`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work);
  const raw = join(work, names.raw);
  ctx.say(
    `copying ${winimg} to ${finalDir}/${names.raw} (data only), its root partition's NTFS labelled root`,
  );
  const source = await stat(join(ctx.dir, winimg));
  await ctx.driver.sparseCopy(join(ctx.dir, winimg), raw);
  const changed = await ctx.driver.setNtfsLabel(raw, rootPartition, "root");
  await copyFile(join(ctx.dir, names.winimgMd5), join(work, names.winimgMd5));
  const index = await readPieceIndex(ctx.file(names.pieces(names.simpleTar)));
  const unchanged = index && index.source.size === source.size && index.source.mtimeMs === source.mtimeMs;
  // The index names step 26's file by its path; the pieces stay valid where it is.
  const packed = await ctx.driver.packSparseTarGz({
    image: raw,
    out: join(work, names.tar),
    indexFile: ctx.file(names.pieces(names.tar)),
    reuse: unchanged ? { index, changed } : undefined,
    progress: progressReporter(`packing ${names.raw}`, ctx.say),
  });
  ctx.say(
    unchanged
      ? `${packed.reused} of ${packed.pieces} compressed pieces reused from ${names.simpleTar}`
      : `${winimg} changed since step 26 (or step 26's index is gone): all compressed anew`,
  );
  await writeFile(join(work, `${names.tar}.md5`), md5Line(packed.md5, names.tar));
  await writeFile(
    join(work, `${names.tar}.install.sh`),
    installScript({
      name: names.seed,
      objectKey: names.tar,
      containerFormat: "tgz",
      fileFormat: "raw",
      size: (await stat(raw)).size,
      allocationSize: packed.size,
      checksum: packed.md5,
      features: imageFeatures(
        { gpt: isGpt(await ctx.driver.partitionsOf(raw)) },
        existsSync(ctx.file(installParamsDir)) ? await ctx.params() : undefined,
      ),
    }),
    { mode: 0o755 },
  );
  await rename(work, final);
  ctx.say(`${finalDir}/${names.tar}: ${packed.size} bytes, md5 ${packed.md5}`);
}
