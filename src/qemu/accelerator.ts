// Which accelerator VMs run on. `auto` takes KVM only when a probe shows it
// really boots a Linux kernel: /dev/kvm can exist and still hang a guest
// (nested KVM on some clouds), and then TCG, slower, is the one that works.
// The probe boots the test guest's kernel, which a checkout builds; the
// installed packages carry no kernel, so there `auto` takes a usable /dev/kvm
// unprobed, as a real KVM host has, and says how to choose TCG instead.
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export type AcceleratorSetting = "auto" | "kvm" | "tcg";
export type Accelerator = "kvm" | "tcg";

export const acceleratorSettings: readonly AcceleratorSetting[] = ["auto", "kvm", "tcg"];

export async function kvmDeviceUsable(): Promise<boolean> {
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Boots `kernel` + `initrd` (the test guest's) with `accel` and says whether it reached userspace in time. */
export function kernelBoots(
  accel: Accelerator,
  kernel: string,
  initrd: string,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    // --pdeathsig: the probe dies with whatever started it, even a command killed outright.
    const qemu = spawn(
      "setpriv",
      [
        "--pdeathsig",
        "KILL",
        "--",
        "qemu-system-x86_64",
        "-accel",
        accel,
        "-m",
        "128",
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-no-reboot",
        "-serial",
        "stdio",
        "-kernel",
        kernel,
        "-initrd",
        initrd,
        "-append",
        "console=ttyS0 quiet rdinit=/bin/accel-probe",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    let out = "";
    let booted = false;
    const timer = setTimeout(() => qemu.kill("SIGKILL"), timeoutMs);
    qemu.stdout.on("data", (d) => {
      out += d;
      if (!booted && out.includes("wakame-accel-probe-ok")) booted = true;
    });
    qemu.on("error", () => resolve(false));
    qemu.on("close", () => {
      clearTimeout(timer);
      resolve(booted);
    });
  });
}

/**
 * The accelerator for this host. `kvm` demands a usable /dev/kvm; `auto`
 * probes it; `tcg` always works.
 */
export async function chooseAccelerator(
  setting: AcceleratorSetting,
  probe: {
    deviceUsable: () => Promise<boolean>;
    /** null: there is no probe guest to boot (an installed package). */
    boots: () => Promise<boolean | null>;
  },
): Promise<{ accel: Accelerator; why: string }> {
  if (setting === "tcg") return { accel: "tcg", why: "configured" };
  const device = await probe.deviceUsable();
  if (setting === "kvm") {
    if (!device)
      throw new Error("accelerator kvm is configured but /dev/kvm is missing or not usable; use auto or tcg");
    return { accel: "kvm", why: "configured" };
  }
  if (!device) return { accel: "tcg", why: "/dev/kvm is missing or not usable" };
  const boots = await probe.boots();
  if (boots === null)
    return {
      accel: "kvm",
      why: "/dev/kvm is usable (not probed: this install has no probe guest; set accelerator = tcg if guests hang)",
    };
  if (boots) return { accel: "kvm", why: "a probe guest booted under KVM" };
  return { accel: "tcg", why: "/dev/kvm exists but a probe guest did not boot under it (nested KVM?)" };
}

/**
 * `probe`'s answer, kept in `file` with this machine's boot id: whether KVM
 * works does not change until a reboot, and a probe that hangs costs its
 * whole timeout on every agent start.
 */
export async function probeOncePerBoot(file: string, probe: () => Promise<boolean>): Promise<boolean> {
  const bootId = (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
  try {
    const kept = JSON.parse(await readFile(file, "utf8")) as { bootId: string; boots: boolean };
    if (kept.bootId === bootId && typeof kept.boots === "boolean") return kept.boots;
  } catch {
    // No answer kept yet, or an unreadable one: probe.
  }
  const boots = await probe();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.${process.pid}`, JSON.stringify({ bootId, boots }));
  await rename(`${file}.${process.pid}`, file);
  return boots;
}

/** How long a probe guest may take to boot under KVM before KVM counts as hanging. */
const kvmProbeMs = 20_000;

/**
 * The accelerator for `setting` on this machine: KVM is probed by booting
 * `guest` (the test guest's kernel), once per machine boot, the answer kept
 * in `cacheFile`; null where this install has no probe guest.
 */
export function hostAccelerator(
  setting: AcceleratorSetting,
  cacheFile: string,
  guest: (() => Promise<{ kernel: string; initrd: string }>) | null,
): Promise<{ accel: Accelerator; why: string }> {
  return chooseAccelerator(setting, {
    deviceUsable: kvmDeviceUsable,
    boots: async () =>
      guest &&
      probeOncePerBoot(cacheFile, async () => {
        const g = await guest();
        return kernelBoots("kvm", g.kernel, g.initrd, kvmProbeMs);
      }),
  });
}
