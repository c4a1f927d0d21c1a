// Step 2: the answer-file floppy (floppy-content.ts says what is on it), with
// the extra installers from ./resources/.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { firstBootPassword, floppyFiles } from "../floppy-content.js";
import type { StepContext } from "./context.js";

export const floppyImage = "answerfile-floppy.img";

export async function createFloppyImageWithAnswerFile(ctx: StepContext): Promise<void> {
  const p = await ctx.params();
  const files = await floppyFiles(p, firstBootPassword());
  for (const installer of p.extraInstallers) files.set(basename(installer), await readFile(installer));
  await ctx.driver.makeFloppy(ctx.file(floppyImage), "WAKAME", files);
  ctx.say(`${floppyImage}: Autounattend.xml (${p.imageName}, ${p.winLang}) and ${files.size - 1} more files`);
  ctx.say(
    p.winKey === "none"
      ? "run-sysprep.cmd sets no product key (KEY is none)"
      : "run-sysprep.cmd sets the product key (slmgr.vbs /ipk)",
  );
}
