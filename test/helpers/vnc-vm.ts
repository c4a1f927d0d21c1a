// A QEMU VM with a VNC console for the RFB tests: the stand-in installer's
// ISO booted without its floppy, so it stops on a still screen ("No floppy
// drive"), optionally behind a VNC password set over QMP; or with a floppy
// that tells it what to show (the typing test's echoing field).

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Image } from "../../src/image/image.js";
import { decodePng } from "../../src/image/png.js";
import { hostDriver } from "../../src/imagebuild/host-driver.js";
import { qemuArgs } from "../../src/qemu/command.js";
import { startDetachedQemu, stopDetached } from "../../src/qemu/launch.js";
import { withQmp } from "../../src/qemu/qmp.js";
import { ensureStandinInstaller } from "../../src/testguest/standin-installer.js";
import { RfbClient } from "../../src/vnc/rfb-client.js";

export interface VncVm {
  address: string;
  serialLog: string;
  qmpSocket: string;
  screendump(): Promise<Image>;
  stop(): Promise<void>;
}

export async function startVncVm(
  dir: string,
  iso: string,
  { password, floppy }: { password?: string; floppy?: string } = {},
): Promise<VncVm> {
  const files = { pidFile: join(dir, "qemu.pid"), qmpSocket: join(dir, "qmp"), log: join(dir, "qemu.log") };
  const args = qemuArgs({
    name: "vnc-test",
    cpuCores: 1,
    memoryMb: 256,
    accel: "tcg",
    disks: [],
    nics: [],
    cdroms: [iso],
    bootFromCdrom: true,
    ...(floppy ? { floppy } : {}),
    qmpSocket: files.qmpSocket,
    serialLog: join(dir, "serial.log"),
    pidFile: files.pidFile,
    vnc: { loopback: true, password: password !== undefined },
    rtcBase: "utc",
  });
  await startDetachedQemu(args, files);
  if (password)
    await withQmp(files.qmpSocket, (q) => q.execute("set_password", { protocol: "vnc", password }));
  const address = await hostDriver().vncAddress(files);
  return {
    address,
    serialLog: join(dir, "serial.log"),
    qmpSocket: files.qmpSocket,
    async screendump() {
      const png = join(dir, "screendump.png");
      await hostDriver().screendump(files, png);
      return decodePng(await readFile(png));
    },
    async stop() {
      await stopDetached(files.pidFile, files.qmpSocket, "SIGKILL");
    },
  };
}

export interface TypingStandin {
  vm: VncVm;
  client: RfbClient;
  /** The lines typed so far, as the stand-in said them on its serial port. */
  typedLines(): string[];
  stop(): Promise<void>;
}

/** The stand-in in its typing mode (an echoing field), its keyboard set to `layout`, with a client on its console. */
export async function startTypingStandin(dir: string, layout: "us" | "jis"): Promise<TypingStandin> {
  const floppy = join(dir, "typing.img");
  writeFileSync(join(dir, "standin-typing"), `${layout}\n`);
  execFileSync("mformat", ["-C", "-f", "1440", "-i", floppy, "::"]);
  execFileSync("mcopy", ["-i", floppy, join(dir, "standin-typing"), "::/standin-typing"]);
  const vm = await startVncVm(dir, await ensureStandinInstaller("2012", "none"), { floppy });
  const serial = () => readFileSync(vm.serialLog, "utf8").replaceAll("\r", "");
  for (let i = 0; !serial().includes("standin: screen: Typing test"); i++) {
    if (i > 480) throw new Error(`the typing screen did not come:\n${serial()}`);
    await sleep(250);
  }
  if (!serial().includes(`typing test, keyboard ${layout}`))
    throw new Error(`the stand-in did not set the ${layout} keyboard`);
  const client = await RfbClient.connect(vm.address);
  return {
    vm,
    client,
    typedLines: () =>
      serial()
        .split("\n")
        .filter((l) => l.startsWith("standin: typed: "))
        .map((l) => l.slice("standin: typed: ".length)),
    async stop() {
      client.close();
      await vm.stop();
    },
  };
}
