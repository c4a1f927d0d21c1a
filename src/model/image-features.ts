// What an image's features ask of the virtual hardware it boots on (as the
// original's `image features` and OpenStack's hw_firmware_type,
// os_secure_boot and hw_tpm_version image properties): the firmware, Secure
// Boot, a TPM. Pure: vdc-manage refuses features that cannot go together, the
// host agent builds the VM from them, the scheduler matches them to hosts.
import type { ImageFeature } from "./vocabulary.js";

export type ImageFeatures = Partial<Record<ImageFeature, boolean>>;

export interface VirtualHardware {
  /** UEFI (OVMF, on q35) or the PC BIOS (SeaBIOS, on i440fx). */
  firmware: "bios" | "uefi";
  /** UEFI with Secure Boot enforced: only signed boot loaders run. */
  secureBoot: boolean;
  /** A TPM 2.0 of the instance's own (swtpm). */
  tpm: boolean;
}

export function virtualHardware(features: Readonly<Record<string, boolean>>): VirtualHardware {
  return {
    firmware: features.uefi === true ? "uefi" : "bios",
    secureBoot: features.secure_boot === true,
    tpm: features.tpm === true,
  };
}

/** Why these features cannot go together, in the words of vdc-manage's options; null when they can. */
export function featuresProblem(features: Readonly<Record<string, boolean>>): string | null {
  if (features.secure_boot === true && features.uefi !== true)
    return "--secure-boot needs --uefi: Secure Boot is the UEFI firmware's (give --uefi too, or --no-secure-boot)";
  return null;
}

/** The features as words for people (image lists, the launch dialog): "UEFI, Secure Boot, TPM 2.0", or "BIOS". */
export function hardwareWords(features: Readonly<Record<string, boolean>>): string {
  const hw = virtualHardware(features);
  return [
    hw.firmware === "uefi" ? "UEFI" : "BIOS",
    ...(hw.secureBoot ? ["Secure Boot"] : []),
    ...(hw.tpm ? ["TPM 2.0"] : []),
  ].join(", ");
}
