// The virtual hardware of a build's VMs, as an instance of the image gets it
// from the host agent: the CPU today's Windows needs (SSE4.2 and POPCNT;
// Hyper-V enlightenments under KVM) and, as the build's settings say, UEFI
// with a variable store of the VM's own (Secure Boot's keys from the
// template) and a TPM 2.0 of its own. The installer VM keeps its store and
// TPM from step 3 to its shutdown; the first-boot test (1001) starts from new
// ones, as a newly launched instance does, and its second boot keeps them.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { debianOvmf } from "../hva/vm/firmware.js";
import { swtpmInstalled } from "../hva/vm/host-hardware.js";
import type { TpmFiles } from "../hva/vm/swtpm.js";
import { defaultCpuModel } from "../model/cpu-model.js";
import type { VmSpec } from "../qemu/command.js";
import { cpuOption } from "../qemu/guest-cpu.js";
import type { InstallParams } from "./install-params.js";
import type { StepContext } from "./steps/context.js";

/** Which of the build's VMs: the installer's (step 3), or the first-boot test's (1001 to 1003). */
export type BuildVmRole = "kvm" | "gen0";

/** The build directory's files of a VM role's firmware and TPM. */
export function roleFiles(ctx: Pick<StepContext, "file">, role: BuildVmRole) {
  const tpm: TpmFiles = {
    tpmState: ctx.file(`${role}-tpm`),
    swtpm: {
      socket: ctx.file(`${role}-swtpm.sock`),
      pidFile: ctx.file(`${role}-swtpm.pid`),
      log: ctx.file(`${role}-swtpm.log`),
    },
  };
  return { efiVars: ctx.file(`${role}-efivars.fd`), tpm };
}

/** The variable store template of a UEFI build: the settings' OVMF_VARS, or Debian's. */
export function varsTemplateOf(p: Pick<InstallParams, "secureBoot" | "ovmfVars">): string {
  if (!p.secureBoot) return debianOvmf.emptyVars;
  return p.ovmfVars || debianOvmf.secureBootVars;
}

/**
 * Makes what the VM's hardware needs (its variable store and TPM state:
 * anew when `fresh`) and starts its swtpm; returns the VM's hardware.
 */
export async function buildVmHardware(
  ctx: StepContext,
  p: InstallParams,
  accel: "kvm" | "tcg",
  role: BuildVmRole,
  fresh: boolean,
): Promise<Pick<VmSpec, "cpu" | "firmware" | "tpm">> {
  const files = roleFiles(ctx, role);
  const hardware: Pick<VmSpec, "cpu" | "firmware" | "tpm"> = {
    cpu: cpuOption({ accel, model: defaultCpuModel(accel), windows: true }),
  };
  if (p.firmware === "uefi") {
    const template = varsTemplateOf(p);
    for (const [file, what] of [
      [debianOvmf.code, "OVMF (FIRMWARE=uefi): install Debian's ovmf"],
      [template, `the variable store template${p.ovmfVars ? " OVMF_VARS names" : ": install Debian's ovmf"}`],
    ] as const)
      if (!existsSync(file)) throw new Error(`${file} is missing: ${what}`);
    if (fresh || !existsSync(files.efiVars)) await ctx.driver.makeVarStore(template, files.efiVars);
    hardware.firmware = { code: debianOvmf.code, vars: files.efiVars };
  }
  if (p.tpm) {
    if (!swtpmInstalled()) throw new Error("TPM=yes needs swtpm: install Debian's swtpm and swtpm-tools");
    if (fresh) await rm(files.tpm.tpmState, { recursive: true, force: true });
    await ctx.driver.startTpm(files.tpm);
    hardware.tpm = { socket: files.tpm.swtpm.socket };
  }
  return hardware;
}
