// The CPU a VM shows its guest: a QEMU CPU model, per instance spec or per
// host (hva.conf `cpu-model`). Under KVM the host's own CPU (`host`); under
// TCG a named model with what today's Windows needs (SSE4.2 and POPCNT, the
// x86-64-v2 level: Windows 11 24H2 and Server 2025 stop at boot without
// them), never QEMU's default `qemu64`, which lacks both.
import { textField } from "./fields.js";

export const cpuModelField = textField({
  max: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  patternWords: "a QEMU CPU model name, e.g. host, Nehalem, Skylake-Server-v4 (qemu-system-x86_64 -cpu help)",
});

/** The x86-64-v2 level under TCG: SSE4.2, POPCNT, SSSE3, CMPXCHG16B, LAHF; TCG emulates all of it. */
export const tcgCpuModel = "Nehalem";

export function defaultCpuModel(accel: "kvm" | "tcg"): string {
  return accel === "kvm" ? "host" : tcgCpuModel;
}

/** Why `model` cannot run on this accelerator; null when it can (QEMU itself says the rest at start). */
export function cpuModelProblem(model: string, accel: "kvm" | "tcg"): string | null {
  if (accel === "tcg" && model === "host")
    return `cpu-model host passes the host's own CPU through, which needs KVM: this host runs VMs on TCG (give a named model such as ${tcgCpuModel})`;
  return null;
}
