// Step 26: the installed image as it is, in windows-LABEL-TIMESTAMP.tar.gz
// with WINIMG.md5 inside, and WINIMG.md5 beside it. One read of the image's
// data makes both the md5 and the archive (the original read it twice); the
// compressed pieces' index is kept for step 27.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { md5Line } from "../pack.js";
import { seedNames } from "../seed-names.js";
import { progressReporter, type StepContext } from "./context.js";

export async function makeSimpleTarOfImage(ctx: StepContext): Promise<void> {
  const winimg = await ctx.value("WINIMG");
  const names = seedNames(await ctx.value("LABEL"), winimg, await ctx.value("timestamp"));
  const packed = await ctx.driver.packSparseTarGz({
    image: join(ctx.dir, winimg),
    out: join(ctx.dir, names.simpleTar),
    indexFile: ctx.file(names.pieces(names.simpleTar)),
    withMd5Member: true,
    progress: progressReporter(`packing ${winimg}`, ctx.say),
  });
  await writeFile(join(ctx.dir, names.winimgMd5), md5Line(packed.imageMd5, winimg));
  ctx.say(`${names.simpleTar}: ${packed.size} bytes; ${winimg} md5 ${packed.imageMd5}`);
}
