// Getting past "Press any key to boot from CD or DVD..." with no one at the
// console. Windows' UEFI boot from its CD (cdboot.efi) always asks, and with
// no key within seconds it goes on to the disk, which is blank before setup
// ran: the install never starts. The builder presses Space every second from
// the VM's start until setup is seen writing to the disk, which it does only
// once it runs (and before its first reboot, when the same prompt, left
// alone, must let the firmware go on to the installed disk). BIOS builds
// need none of it: the CD's boot sector asks only when the disk has one. Pure.

export interface PromptState {
  elapsedMs: number;
  /** Bytes the disk took when the VM started, and now. */
  allocatedAtStart: number;
  allocatedNow: number;
  vmRunning: boolean;
  limitMs: number;
}

export type PromptAction = "press" | "setup-writes" | "vm-stopped" | "gave-up";

export function bootPromptAction(s: PromptState): PromptAction {
  if (!s.vmRunning) return "vm-stopped";
  if (s.allocatedNow > s.allocatedAtStart) return "setup-writes";
  if (s.elapsedMs >= s.limitMs) return "gave-up";
  return "press";
}
