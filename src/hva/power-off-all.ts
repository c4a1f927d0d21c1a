// The all-in-one cloud's Ctrl-C (`wakame up`): every VM of this host powered
// off (ACPI, forced after a grace) and reported halted, so that the next
// start finds them as the user left them.
import { setTimeout as sleep } from "node:timers/promises";
import { type ActionTools, report } from "./actions.js";
import type { InstanceDirectories } from "./instance-files.js";

export async function powerOffAll(
  dirs: InstanceDirectories,
  tools: Pick<ActionTools, "api" | "vms">,
  graceMs: number,
  log: (line: string) => void,
): Promise<void> {
  const { api, vms } = tools;
  const wanted = (await api.hostState()).instances;
  await Promise.all(
    wanted.map(async (w) => {
      const files = dirs.of(w.id);
      if (!(await vms.running(files))) return;
      const duringFirstBoot = (await files.marks()).firstBootPending;
      await vms.powerdown(files).catch(() => {});
      for (let t = 0; t < graceMs && (await vms.running(files)); t += 100) await sleep(100);
      await vms.kill(files);
      log(`${w.id}: powered off`);
      await report(api, w, {
        state: "halted",
        ...(duringFirstBoot && {
          error: "powered off during its first boot, so it has no password: terminate it and launch anew",
        }),
      }).catch((err: Error) => log(`${w.id}: ${err.message}`));
    }),
  );
}
