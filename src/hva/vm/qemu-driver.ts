// The agent's VMs as QEMU processes: started detached with a pid file, so an
// agent restarted while its VMs run finds them again instead of starting
// twins; one QMP connection held per running VM, whose end is how the agent
// learns at once that a guest powered off (guest-protocol.md, step 7).
import { readFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { qemuArgs } from "../../qemu/command.js";
import { cpuOption } from "../../qemu/guest-cpu.js";
import { livePid, startDetachedQemu, stopDetached } from "../../qemu/launch.js";
import { QmpClient } from "../../qemu/qmp.js";
import type { InstanceFiles } from "../instance-files.js";
import { type InstanceVm, type VmDriver, VmStillRuns } from "./driver.js";
import {
  abandonMove,
  type MoveFigures,
  type MovingDisk,
  receiveMove,
  runMovedIn,
  sendMove,
  takeBack,
} from "./live-move.js";
import { startSwtpm, stopSwtpm, swtpmAlive } from "./swtpm.js";

export class QemuDriver implements VmDriver {
  /** Each followed VM's QMP connection, opened once and kept. */
  private readonly lines = new Map<string, Promise<QmpClient>>();
  private readonly exitListeners: ((id: string) => void)[] = [];

  constructor(
    private readonly accel: "kvm" | "tcg",
    private readonly log: (line: string) => void,
  ) {}

  onExit(listener: (id: string) => void): void {
    this.exitListeners.push(listener);
  }

  async start(
    files: InstanceFiles,
    vm: InstanceVm,
    sockets: readonly Socket[],
    incoming?: { nbdSocket: string; migrationSocket: string },
  ): Promise<void> {
    const { cpuModel, windows, firmware, tpm, ...hardware } = vm;
    if (tpm) await startSwtpm(files, { incoming: incoming !== undefined });
    const args = qemuArgs({
      name: files.id,
      ...hardware,
      accel: this.accel,
      cpu: cpuOption({ accel: this.accel, model: cpuModel, windows }),
      rtcBase: windows ? "localtime" : "utc",
      windowsClock: windows,
      ...(firmware && { firmware }),
      ...(tpm && { tpm: { socket: files.swtpm.socket } }),
      qmpSocket: files.qmpSocket,
      serialLog: files.serialLog,
      vnc: { socket: files.vncSocket },
      pidFile: files.pidFile,
      incoming: incoming !== undefined,
    });
    await startDetachedQemu(
      args,
      { qmpSocket: files.qmpSocket, pidFile: files.pidFile, log: files.qemuLog },
      sockets,
    ).catch(async (err: Error) => {
      await stopSwtpm(files);
      throw err;
    });
    const q = await this.qmp(files);
    if (incoming) await receiveMove(q, { ...incoming, devices: vm.disks.map((_, i) => `disk${i}`) });
    this.log(
      `${files.id}: QEMU started (${this.accel})${incoming ? ", awaiting its move" : ""}, console on ${files.vncSocket}`,
    );
  }

  async runMovedIn(files: InstanceFiles, timeoutMs: number): Promise<void> {
    await runMovedIn(await this.qmp(files), timeoutMs);
  }

  async moveOut(files: InstanceFiles, o: Parameters<VmDriver["moveOut"]>[1]): Promise<MoveFigures> {
    // QEMU's own limit (128 MiB/s) would make a move wait on it: the hosts' link is the limit.
    return sendMove(await this.qmp(files), { ...o, maxBandwidth: Number.MAX_SAFE_INTEGER });
  }

  async movedAway(files: InstanceFiles): Promise<boolean> {
    const { status } = await (await this.qmp(files)).execute<{ status: string }>("query-status");
    return status === "postmigrate";
  }

  async abandonMove(files: InstanceFiles, disks: readonly MovingDisk[]): Promise<boolean> {
    return abandonMove(await this.qmp(files), disks);
  }

  async takeBack(files: InstanceFiles): Promise<void> {
    await takeBack(await this.qmp(files));
  }

  /** By its pid file, checked to be this instance's QEMU and not a reused pid. */
  async running(files: InstanceFiles): Promise<boolean> {
    return (await livePid(files.pidFile, files.dir)) !== undefined;
  }

  tpmAlive(files: InstanceFiles): Promise<boolean> {
    return swtpmAlive(files);
  }

  follows(id: string): boolean {
    return this.lines.has(id);
  }

  async adopt(files: InstanceFiles): Promise<void> {
    this.log(`${files.id}: QEMU found running, adopted`);
    await this.qmp(files);
  }

  async powerdown(files: InstanceFiles): Promise<void> {
    await (await this.qmp(files)).execute("system_powerdown");
  }

  async reset(files: InstanceFiles): Promise<void> {
    await (await this.qmp(files)).execute("system_reset");
  }

  async kill(files: InstanceFiles): Promise<void> {
    await stopDetached(files.pidFile, files.dir, "SIGKILL");
    if (await this.running(files)) throw new VmStillRuns("QEMU still runs 5 s after SIGKILL; trying again");
    // It ends with QEMU; one that has not (or that outlived a QEMU that never started) is ended here.
    await stopSwtpm(files);
  }

  async screenshot(files: InstanceFiles): Promise<Buffer> {
    await (await this.qmp(files)).execute("screendump", { filename: files.screenshot, format: "png" });
    return readFile(files.screenshot);
  }

  openConsole(files: InstanceFiles): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const vnc = connect(files.vncSocket);
      vnc.once("connect", () => resolve(vnc));
      vnc.once("error", (err) =>
        reject(new Error(`cannot reach the VM's VNC server at ${files.vncSocket}: ${err.message}`)),
      );
    });
  }

  detach(): void {
    for (const line of this.lines.values()) line.then((q) => q.close()).catch(() => {});
    this.lines.clear();
  }

  /** The VM's QMP connection; when it ends, QEMU has exited, and the listeners are told. */
  private qmp(files: InstanceFiles): Promise<QmpClient> {
    const id = files.id;
    let line = this.lines.get(id);
    if (!line) {
      const opened = QmpClient.connect(files.qmpSocket);
      line = opened;
      this.lines.set(id, opened);
      opened.then(
        (q) =>
          q.closed.then(async () => {
            if (this.lines.get(id) !== opened) return;
            this.lines.delete(id);
            // The socket closes as QEMU exits; the process is gone a moment later.
            for (let i = 0; i < 200 && (await this.running(files)); i++) await sleep(10);
            this.log(`${id}: QEMU exited`);
            for (const listener of this.exitListeners) listener(id);
          }),
        () => this.lines.delete(id),
      );
    }
    return line;
  }
}
