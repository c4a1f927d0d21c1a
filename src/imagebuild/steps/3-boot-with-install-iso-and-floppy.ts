// Step 3: a blank sparse disk of IMAGESIZE, and the installer VM booted from
// the ISO with the virtio driver ISO and the answer-file floppy: virtio disk,
// no network, VNC (behind a password made for this boot) and QMP on
// loopback; on UEFI builds, Space pressed until setup runs (boot-prompt.ts). The VM outlives this command; its pid, VNC address, VNC password
// and QMP socket are kvm.pid, kvm.vnc, kvm.vnc-password and kvm.qmp, and its
// command line is kept as kvm-boot-cmdline-<n>.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { VmSpec } from "../../qemu/command.js";
import { bootPromptAction } from "../boot-prompt.js";
import { type BuildVmRole, buildVmHardware } from "../build-vm-hardware.js";
import { floppyImage } from "./2-create-floppy-image-with-answer-file.js";
import type { StepContext } from "./context.js";

/** How long step 3 presses keys for the boot prompt: past it, setup under TCG is slow, not stuck. */
const bootPromptLimitMs = 30 * 60_000;

/** The console's password, made anew at each boot: VNC takes 8 characters at most. */
export const vncPasswordFile = "kvm.vnc-password";
const vncPassword = () => randomBytes(6).toString("base64url");

/**
 * Starts the build's VM with the hardware its role and the settings give it
 * (build-vm-hardware.ts), and records how (shared by the first-boot test steps).
 */
export async function bootBuildVm(
  ctx: StepContext,
  vm: Omit<
    VmSpec,
    "qmpSocket" | "serialLog" | "pidFile" | "accel" | "vnc" | "name" | "cpu" | "firmware" | "tpm"
  >,
  role: { role: BuildVmRole; fresh: boolean },
): Promise<void> {
  const running = await ctx.driver.vmPid(ctx.vm);
  if (running) throw new Error(`the build's VM runs already (pid ${running}): stop it with -kill-kvm first`);
  const p = await ctx.params();
  const accel = await ctx.driver.accelerator(p.accel);
  const hardware = await buildVmHardware(ctx, p, accel, role.role, role.fresh);
  const { pid, args } = await ctx.driver.startVm(
    {
      ...vm,
      ...hardware,
      name: `build-${await ctx.value("LABEL")}`,
      accel,
      qmpSocket: ctx.vm.qmpSocket,
      serialLog: ctx.file("kvm-serial.log"),
      pidFile: ctx.vm.pidFile,
      vnc: { loopback: true, password: true },
    },
    ctx.vm,
  );
  const n = (await readdir(ctx.dir)).filter((f) => f.startsWith("kvm-boot-cmdline-")).length + 1;
  await writeFile(
    ctx.file(`kvm-boot-cmdline-${n}`),
    `${["qemu-system-x86_64", ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(" ")}\n`,
  );
  const password = vncPassword();
  await ctx.driver.setVncPassword(ctx.vm, password);
  await writeFile(ctx.file(vncPasswordFile), `${password}\n`, { mode: 0o600 });
  const vnc = await ctx.driver.vncAddress(ctx.vm);
  await ctx.write("kvm.vnc", vnc);
  ctx.say(
    `VM started on ${accel}: pid ${pid}, console vnc://${vnc} (also in kvm.vnc), its password in ${vncPasswordFile}`,
  );
}

export async function bootWithInstallIsoAndFloppy(ctx: StepContext): Promise<void> {
  const p = await ctx.params();
  const winimg = ctx.file(await ctx.value("WINIMG"));
  if (!existsSync(ctx.file(floppyImage))) throw new Error(`${floppyImage} is missing: run step 2 first`);
  if (!existsSync(winimg)) {
    await ctx.driver.createBlankImage(winimg, p.imageSize);
    ctx.say(`blank sparse disk ${await ctx.value("WINIMG")} of ${p.imageSize}`);
  }
  await bootBuildVm(
    ctx,
    {
      cpuCores: p.cpus,
      memoryMb: p.memoryMb,
      disks: [{ file: winimg, format: "raw", bus: "virtio" }],
      cdroms: [p.winIso, p.virtioIso],
      floppy: ctx.file(floppyImage),
      bootFromCdrom: true,
      nics: [],
      rtcBase: p.installDate === "now" ? "localtime" : p.installDate,
    },
    { role: "kvm", fresh: false },
  );
  if (p.firmware === "uefi") await passBootPrompt(ctx, winimg);
}

/** Presses Space until setup writes to the disk (boot-prompt.ts). */
async function passBootPrompt(ctx: StepContext, disk: string): Promise<void> {
  const started = Date.now();
  const allocatedAtStart = await ctx.driver.allocatedBytes(disk);
  ctx.say("pressing Space on the console until setup writes to the disk (the CD's 'Press any key to boot')");
  for (let presses = 0; ; presses++) {
    const action = bootPromptAction({
      elapsedMs: Date.now() - started,
      allocatedAtStart,
      allocatedNow: await ctx.driver.allocatedBytes(disk),
      vmRunning: (await ctx.driver.vmPid(ctx.vm)) !== undefined,
      limitMs: bootPromptLimitMs,
    });
    const after = `after ${presses} presses in ${Math.round((Date.now() - started) / 1000)} s`;
    if (action === "setup-writes")
      return ctx.say(`setup is writing to the disk: past the boot prompt ${after}`);
    if (action === "vm-stopped") throw new Error(`the VM stopped ${after}: see kvm-serial.log and kvm.log`);
    if (action === "gave-up")
      return ctx.say(
        `setup has not written to the disk ${after}: look at the console (kvm.vnc) and press a key there if it still asks`,
      );
    await ctx.driver.pressKey(ctx.vm, "spc");
    await sleep(1000);
  }
}
