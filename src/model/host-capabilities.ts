// What a host can give a VM, as its agent reports it with each heartbeat,
// and whether that covers an image's virtual hardware: the scheduler places an
// instance only where it can run (as OpenStack's placement traits and image
// property filters do). Pure.
import { type Field, FieldError } from "./fields.js";
import type { VirtualHardware } from "./image-features.js";

export interface HostCapabilities {
  /** Its VMs run on KVM (else TCG). */
  kvm: boolean;
  /** OVMF is installed: UEFI images run there. */
  uefi: boolean;
  /** Its Secure Boot variable store template is there. */
  secure_boot: boolean;
  /** swtpm is installed: instances get a TPM 2.0. */
  tpm: boolean;
  /** The CPU model of instances whose spec names none. */
  cpu_model: string;
}

/** A host whose agent has not reported yet: what every host could run before hosts reported anything. */
export const unreportedCapabilities: HostCapabilities = {
  kvm: false,
  uefi: false,
  secure_boot: false,
  tpm: false,
  cpu_model: "",
};

/** What a host can run, in words for its operator (vdc-manage host show). */
export function capabilityWords(caps: HostCapabilities): string {
  if (caps.cpu_model === "") return "BIOS images without a TPM (its hva has not reported what it has)";
  const has = [
    caps.kvm ? "KVM" : "TCG",
    "BIOS",
    ...(caps.uefi ? ["UEFI"] : []),
    ...(caps.secure_boot ? ["Secure Boot"] : []),
    ...(caps.tpm ? ["TPM 2.0"] : []),
  ];
  return `${has.join(", ")}; CPU ${caps.cpu_model}`;
}

/** What the host lacks for `hw`, in words for the user: [] when it can run it. */
export function capabilitiesLacking(caps: HostCapabilities, hw: VirtualHardware): string[] {
  return [
    ...(hw.firmware === "uefi" && !caps.uefi ? ["UEFI firmware (OVMF)"] : []),
    ...(hw.secureBoot && !caps.secure_boot ? ["Secure Boot (OVMF's variable store template)"] : []),
    ...(hw.tpm && !caps.tpm ? ["a TPM 2.0 (swtpm)"] : []),
  ];
}

/** The heartbeat's capabilities, checked: every key of its type, of its type. */
export const capabilitiesField: Field<HostCapabilities> = {
  type: "json",
  allowed: "{kvm, uefi, secure_boot, tpm, cpu_model}",
  parse(raw) {
    const c = (raw ?? {}) as Record<string, unknown>;
    const flags = ["kvm", "uefi", "secure_boot", "tpm"] as const;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new FieldError("must be an object {kvm, uefi, secure_boot, tpm, cpu_model}");
    for (const f of flags) if (typeof c[f] !== "boolean") throw new FieldError(`${f} must be true or false`);
    if (typeof c.cpu_model !== "string" || c.cpu_model.length > 64)
      throw new FieldError("cpu_model must be a CPU model name of up to 64 characters");
    const unknown = Object.keys(c).filter(
      (k) => !(flags as readonly string[]).includes(k) && k !== "cpu_model",
    );
    if (unknown.length) throw new FieldError(`unknown capabilities: ${unknown.join(", ")}`);
    return {
      kvm: c.kvm,
      uefi: c.uefi,
      secure_boot: c.secure_boot,
      tpm: c.tpm,
      cpu_model: c.cpu_model,
    } as HostCapabilities;
  },
};
