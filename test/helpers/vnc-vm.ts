// A QEMU VM with a VNC console for the RFB tests: the stand-in installer's
// ISO booted without its floppy, so it stops on a still screen ("No floppy
// drive"), optionally behind a VNC password set over QMP.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Image } from "../../src/image/image.js";
import { decodePng } from "../../src/image/png.js";
import { qemuArgs } from "../../src/qemu/command.js";
import { startDetachedQemu, stopQemu } from "../../src/qemu/launch.js";
import { QmpClient } from "../../src/qemu/qmp.js";

export interface VncVm {
  address: string;
  qmpSocket: string;
  screendump(): Promise<Image>;
  stop(): Promise<void>;
}

export async function withQmp<T>(socket: string, work: (q: QmpClient) => Promise<T>): Promise<T> {
  const q = await QmpClient.connect(socket);
  try {
    return await work(q);
  } finally {
    q.close();
  }
}

export async function startVncVm(dir: string, iso: string, password?: string): Promise<VncVm> {
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
    qmpSocket: files.qmpSocket,
    serialLog: join(dir, "serial.log"),
    pidFile: files.pidFile,
    vnc: true,
    rtcBase: "utc",
  }).map((a) => (password && a === "127.0.0.1:0,to=99" ? `${a},password=on` : a));
  await startDetachedQemu(args, files);
  const address = await withQmp(files.qmpSocket, async (q) => {
    if (password) await q.execute("set_password", { protocol: "vnc", password });
    const vnc = await q.execute<{ host: string; service: string }>("query-vnc");
    return `${vnc.host}:${vnc.service}`;
  });
  return {
    address,
    qmpSocket: files.qmpSocket,
    async screendump() {
      const png = join(dir, "screendump.png");
      await withQmp(files.qmpSocket, (q) => q.execute("screendump", { filename: png, format: "png" }));
      return decodePng(await readFile(png));
    },
    async stop() {
      await stopQemu(files.pidFile, files.qmpSocket, "SIGKILL");
    },
  };
}
