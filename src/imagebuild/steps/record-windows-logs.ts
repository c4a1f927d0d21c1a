// Steps 5 and 25: Windows' setup logs archived out of the image's NTFS
// partition, for when an installation or sysprep goes wrong. Needs root (a
// loop mount); without it the step says so and goes on, as the logs are for
// looking into problems and the image does not need them.
import type { StepContext } from "./context.js";

/** Where Windows setup, sysprep and our scripts log, on the Windows partition. */
export const windowsLogPaths = [
  "Windows/Panther",
  "Windows/setupact.log",
  "Windows/setuperr.log",
  "Windows/DtcInstall.log",
  "Windows/TSSysprep.log",
  "Windows/WindowsUpdate.log",
  "Windows/inf/setupapi.app.log",
  "Windows/inf/setupapi.dev.log",
  "Windows/System32/sysprep/Panther",
  "Windows/Setup/Scripts",
] as const;

export function recordWindowsLogs(archive: string) {
  return async (ctx: StepContext): Promise<void> => {
    if (await ctx.driver.vmPid(ctx.vm))
      ctx.say("the VM is running: the logs are read as they are on disk now");
    const image = ctx.file(await ctx.value("WINIMG"));
    try {
      const held = await ctx.driver.archiveWindowsLogs(image, windowsLogPaths, ctx.file(archive));
      ctx.say(`${archive}: ${held.join(", ")}`);
    } catch (err) {
      if (!/needs root/.test((err as Error).message)) throw err;
      ctx.say(`${archive} not made: ${(err as Error).message}. Run this step as root to keep the logs.`);
    }
  };
}
