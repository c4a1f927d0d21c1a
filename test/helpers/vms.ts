// The QEMU processes of an instance, seen as a user of the host would see them.
import { readdirSync, readFileSync } from "node:fs";

/** The live QEMU processes whose command line names `instanceDir` (zombies have none). */
export function qemuPids(instanceDir: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
        return cmd.startsWith("qemu-system") && cmd.includes(instanceDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}
