// The UEFI firmware of this host's VMs: Debian's OVMF, its code read-only and
// shared, and each instance's own variable store (boot entries, Secure Boot
// keys) made from a template when the instance is prepared and kept in its
// directory, so both survive reboots, power-off/on and agent restarts. One
// code file serves every UEFI VM: the Secure Boot build (it needs SMM), which
// enforces nothing until a variable store enrolls keys.
import { existsSync } from "node:fs";
import { copyFile, rename, rm } from "node:fs/promises";
import type { VirtualHardware } from "../../model/image-features.js";

export interface Ovmf {
  /** OVMF's code, the Secure Boot (SMM) build. */
  code: string;
  /** A variable store without keys: UEFI, nothing enforced. */
  emptyVars: string;
  /** The template for Secure Boot images (the operator's choice): keys enrolled, Secure Boot on. */
  secureBootVars: string;
}

/** Debian's ovmf package; the Secure Boot template enrolls Microsoft's 2011 certificates (with Debian's PK). */
export const debianOvmf: Ovmf = {
  code: "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
  emptyVars: "/usr/share/OVMF/OVMF_VARS_4M.fd",
  secureBootVars: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
};

/** The template an instance's variable store starts from; null for a BIOS instance, which has none. */
export function varsTemplate(hw: VirtualHardware, ovmf: Ovmf): string | null {
  if (hw.firmware !== "uefi") return null;
  return hw.secureBoot ? ovmf.secureBootVars : ovmf.emptyVars;
}

/** What this host lacks to run `hw`, in words that say how to get it; null: nothing. */
export function firmwareMissing(hw: VirtualHardware, ovmf: Ovmf): string | null {
  const template = varsTemplate(hw, ovmf);
  if (template === null) return null;
  if (!existsSync(ovmf.code))
    return `its image boots on UEFI, and this host has no OVMF (${ovmf.code}): install Debian's ovmf`;
  if (!existsSync(template))
    return `its image's ${hw.secureBoot ? "Secure Boot " : ""}variable store template ${template} is missing on this host`;
  return null;
}

/** Makes `target` a copy of `template`, whole or not at all. */
export async function makeVarStore(template: string, target: string): Promise<void> {
  const temp = `${target}.creating`;
  try {
    await copyFile(template, temp);
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
}
