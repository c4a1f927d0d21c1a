// Step 28: the seed image as qcow2 (qemu-img reads only the data), gzipped on
// every core, with the md5s of both made on the way (each file read once).
import { existsSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { md5Line } from "../pack.js";
import { seedNames } from "../seed-names.js";
import { finalDir } from "./27-package-to-wakame-tgz-image.js";
import type { StepContext } from "./context.js";

export async function packageToWakameQcow2Image(ctx: StepContext): Promise<void> {
  const names = seedNames(await ctx.value("LABEL"), await ctx.value("WINIMG"), await ctx.value("timestamp"));
  const final = join(ctx.dir, finalDir);
  const raw = join(final, names.raw);
  if (!existsSync(raw))
    throw new Error(`${finalDir}/${names.raw} is missing: run 27-package-to-wakame-tgz-image first`);
  const qcow2 = join(final, names.qcow2);
  const temp = `${qcow2}.converting`;
  try {
    ctx.say(`converting ${names.raw} to qcow2`);
    await ctx.driver.convertRawToQcow2(raw, temp);
    await rename(temp, qcow2);
    ctx.say(`compressing ${names.qcow2}`);
    const gz = await ctx.driver.gzipFile(qcow2, `${qcow2}.gz`);
    await writeFile(`${qcow2}.md5`, md5Line(gz.inputMd5, names.qcow2));
    await writeFile(`${qcow2}.gz.md5`, md5Line(gz.md5, `${names.qcow2}.gz`));
    ctx.say(`${finalDir}/${names.qcow2}.gz: ${gz.size} bytes, md5 ${gz.md5}`);
  } finally {
    // As gzip does, the .gz replaces the qcow2.
    await rm(temp, { force: true });
    if (existsSync(`${qcow2}.gz.md5`)) await rm(qcow2, { force: true });
  }
}
