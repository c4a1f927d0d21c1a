// What this host gives every VM: its default CPU model, its UEFI firmware and
// whether it can give a VM a TPM; and what it lacks for an instance's image,
// said before anything of the instance is made.
import { existsSync } from "node:fs";
import type { HostCapabilities } from "../../model/host-capabilities.js";
import type { VirtualHardware } from "../../model/image-features.js";
import { firmwareMissing, type Ovmf } from "./firmware.js";

export interface HostHardware {
  /** The CPU model of instances whose spec names none (hva.conf cpu-model). */
  cpuModel: string;
  ovmf: Ovmf;
  /** swtpm and swtpm_setup are installed. */
  swtpm: boolean;
}

export const swtpmInstalled = () =>
  ["swtpm", "swtpm_setup"].every((tool) =>
    ["/usr/bin", "/usr/local/bin"].some((d) => existsSync(`${d}/${tool}`)),
  );

/** What the agent reports of this host with each heartbeat, for the scheduler. */
export function hostCapabilities(host: HostHardware, accel: "kvm" | "tcg"): HostCapabilities {
  const uefi = existsSync(host.ovmf.code) && existsSync(host.ovmf.emptyVars);
  return {
    kvm: accel === "kvm",
    uefi,
    secure_boot: uefi && existsSync(host.ovmf.secureBootVars),
    tpm: host.swtpm,
    cpu_model: host.cpuModel,
  };
}

/** What this host lacks to run `hw`, in words that say how to get it; null: nothing. */
export function hardwareMissing(hw: VirtualHardware, host: HostHardware): string | null {
  const firmware = firmwareMissing(hw, host.ovmf);
  if (firmware) return firmware;
  if (hw.tpm && !host.swtpm)
    return "its image has a TPM, and this host has no swtpm: install Debian's swtpm and swtpm-tools";
  return null;
}
