// Step 24: sysprep powers the VM off when it is done; wait for that, saying
// every minute that we still wait.
import { setTimeout as sleep } from "node:timers/promises";
import type { StepContext } from "./context.js";

export async function waitForShutdown(ctx: StepContext): Promise<void> {
  const started = Date.now();
  let said = 0;
  for (;;) {
    const pid = await ctx.driver.vmPid(ctx.vm);
    if (!pid) break;
    const minutes = Math.floor((Date.now() - started) / 60_000);
    if (minutes > said || said === 0) {
      said = Math.max(minutes, 1);
      ctx.say(
        `waiting for sysprep to power the VM off (pid ${pid}, ${minutes} min so far; console vnc://${await ctx.value("kvm.vnc").catch(() => "?")})`,
      );
    }
    await sleep(1000);
  }
  ctx.say(`the VM is off after ${Math.round((Date.now() - started) / 1000)} s`);
}
