// The host agent's loop, as kubelet's: for each instance dcmgr places here,
// observe what it is (files, QEMU process, first boot), ask `nextAction`
// what to do, do it, and report. Instances live in
// $WAKAME_HOME/instances/<id>; QEMU runs detached with a pid file, so an agent
// restarted while its VMs run finds them again instead of starting twins.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import type { PortForward } from "../dcmgr/views.js";
import { prefixToNetmask } from "../model/ipv4.js";
import type { AgentApi, WantedInstance } from "./agent-api.js";
import { collectPassword } from "./first-boot.js";
import { ImageCache } from "./image-cache.js";
import { createInstanceDisk } from "./instance-disk.js";
import { writeMetadataDrive } from "./metadata-drive.js";
import { qemuArgs } from "./qemu-command.js";
import { QmpClient } from "./qmp.js";
import { type Action, nextAction, type Observed, type Timeouts } from "./reconcile.js";

export interface AgentOptions {
  api: AgentApi;
  /** $WAKAME_HOME of this host. */
  home: string;
  accel: "kvm" | "tcg";
  timeouts: Timeouts;
  /** Where forwarded guest ports listen on the host. */
  forwardAddress: string;
  log: (line: string) => void;
}

/** Guest ports a rule may open through user-mode networking at most (a wide range would take as many host ports). */
const maxForwardsPerRule = 16;

export class Agent {
  private readonly cache: ImageCache;
  private readonly busy = new Set<string>();

  constructor(private readonly o: AgentOptions) {
    this.cache = new ImageCache(join(o.home, "image-cache"), o.log);
  }

  private dir(id: string) {
    return join(this.o.home, "instances", id);
  }

  /** One pass over every instance of this host, and over local leftovers dcmgr no longer lists. */
  async tick(now = Date.now()): Promise<void> {
    const wanted = await this.o.api.instances();
    await Promise.all(wanted.filter((w) => !this.busy.has(w.id)).map((w) => this.step(w, now)));
  }

  private async step(w: WantedInstance, now: number): Promise<void> {
    this.busy.add(w.id);
    try {
      const action = nextAction(w, await this.observe(w.id), now, this.o.timeouts);
      if (action.kind !== "wait") this.o.log(`${w.id}: ${w.state} -> ${describe(action)}`);
      await this.act(w, action);
    } catch (err) {
      this.o.log(`${w.id}: ${(err as Error).message}`);
      await this.o.api.report(w.id, { state: "halted", error: (err as Error).message }).catch(() => {});
    } finally {
      this.busy.delete(w.id);
    }
  }

  private async observe(id: string): Promise<Observed> {
    const d = this.dir(id);
    const number = async (file: string) => {
      try {
        return Number(await readFile(join(d, file), "utf8"));
      } catch {
        return null;
      }
    };
    return {
      files: existsSync(join(d, "prepared")),
      running: await this.processAlive(id),
      firstBootPending: existsSync(join(d, "first-boot.pending")),
      startedAt: await number("started-at"),
      powerdownAskedAt: await number("powerdown-asked-at"),
    };
  }

  /** The instance's QEMU, by its pid file, checked to be ours and not a reused pid. */
  private async processAlive(id: string): Promise<boolean> {
    try {
      const pid = Number(await readFile(join(this.dir(id), "qemu.pid"), "utf8"));
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
      return cmdline.includes(this.dir(id));
    } catch {
      return false;
    }
  }

  private async act(w: WantedInstance, a: Action): Promise<void> {
    const d = this.dir(w.id);
    switch (a.kind) {
      case "wait":
        return;
      case "prepare":
        return this.prepare(w);
      case "start":
        await this.start(w);
        return void (await this.o.api.report(w.id, {
          state: a.report,
          error: await readFile(join(d, "password-error"), "utf8").catch(() => ""),
          done_action: a.done,
          port_forwards: [await this.forwards(w.id)],
        }));
      case "collect-password": {
        const collected = await collectPassword(join(d, "metadata.img"), w.ssh_public_key ?? "");
        if ("encryptedPassword" in collected)
          await this.o.api.storePassword(w.id, collected.encryptedPassword);
        else await writeFile(join(d, "password-error"), collected.error);
        await rm(join(d, "first-boot.pending"), { force: true });
        return;
      }
      case "powerdown":
        await this.qmp(w.id, (q) => q.execute("system_powerdown"));
        await writeFile(join(d, "powerdown-asked-at"), String(Date.now()));
        return;
      case "reset":
        await this.qmp(w.id, (q) => q.execute("system_reset"));
        return void (await this.o.api.report(w.id, { state: "running", done_action: a.done }));
      case "force-stop":
        await this.stop(w.id);
        return void (await this.o.api.report(w.id, { state: "halted", error: a.error, done_action: a.done }));
      case "destroy":
        await this.stop(w.id);
        await rm(d, { recursive: true, force: true });
        return void (await this.o.api.report(w.id, { state: "terminated" }));
      case "report":
        await rm(join(d, "powerdown-asked-at"), { force: true });
        return void (await this.o.api.report(w.id, { state: a.state, error: a.error, done_action: a.done }));
    }
  }

  private async prepare(w: WantedInstance): Promise<void> {
    const d = this.dir(w.id);
    await mkdir(d, { recursive: true });
    const base = await this.cache.get({ ...w.image.backup_object, allocation_size: 0 });
    const disk = await createInstanceDisk(
      base,
      w.image.file_format,
      join(d, w.image.is_cacheable ? "disk.qcow2" : `disk.${w.image.file_format}`),
      w.image.is_cacheable,
    );
    const windows = w.os_type === "windows";
    await writeMetadataDrive(join(d, "metadata.img"), {
      instanceId: w.id,
      hostname: w.hostname ?? w.id.slice(2),
      interfaces: w.vifs.map((v) => ({
        mac: v.mac_address,
        ipv4: v.ipv4_address ?? "",
        netmask: v.netmask,
        gateway: v.gateway,
        dns: v.dns,
      })),
      publicKey: w.ssh_public_key,
      firstBoot: windows,
      enableFirewall: false,
      autoActivate: null,
      retryGenPassword: 10,
      extraHosts: {},
      userData: w.user_data === null ? null : Buffer.from(w.user_data),
    });
    const forwards: PortForward[] = [];
    for (const r of w.security_group_rules) {
      if (r.protocol !== "tcp" && r.protocol !== "udp") continue;
      for (
        let port = r.from_port;
        port <= Math.min(r.to_port, r.from_port + maxForwardsPerRule - 1);
        port++
      ) {
        if (forwards.some((f) => f.protocol === r.protocol && f.guest_port === port)) continue;
        forwards.push({
          protocol: r.protocol,
          guest_port: port,
          host_address: this.o.forwardAddress,
          host_port: await freeHostPort(),
        });
      }
    }
    await writeFile(join(d, "forwards.json"), JSON.stringify(forwards));
    await writeFile(join(d, "disk.json"), JSON.stringify(disk));
    if (windows) await writeFile(join(d, "first-boot.pending"), "");
    await writeFile(join(d, "prepared"), "");
  }

  private async forwards(id: string): Promise<PortForward[]> {
    return JSON.parse(await readFile(join(this.dir(id), "forwards.json"), "utf8")) as PortForward[];
  }

  private async start(w: WantedInstance): Promise<void> {
    const d = this.dir(w.id);
    const disk = JSON.parse(await readFile(join(d, "disk.json"), "utf8")) as {
      file: string;
      format: "raw" | "qcow2";
    };
    const virtio = w.image.features.virtio === true;
    const vif = w.vifs[0];
    await rm(join(d, "qmp.sock"), { force: true });
    await rm(join(d, "powerdown-asked-at"), { force: true });
    const args = qemuArgs({
      name: w.id,
      cpuCores: w.cpu_cores,
      memoryMb: w.memory_size,
      accel: this.o.accel,
      disks: [
        { file: disk.file, format: disk.format, bus: virtio ? "virtio" : "ide" },
        { file: join(d, "metadata.img"), format: "raw", bus: virtio ? "virtio" : "ide" },
      ],
      nics: vif
        ? [
            {
              mac: vif.mac_address,
              model: virtio ? "virtio" : "e1000",
              network: { cidr: `${networkOf(vif)}`, gateway: vif.gateway ?? "10.0.2.2", dns: vif.dns },
              guestAddress: vif.ipv4_address ?? "10.0.2.15",
              forwards: (await this.forwards(w.id)).map((f) => ({
                protocol: f.protocol,
                hostAddress: f.host_address,
                hostPort: f.host_port,
                guestPort: f.guest_port,
              })),
            },
          ]
        : [],
      qmpSocket: join(d, "qmp.sock"),
      serialLog: join(d, "serial.log"),
      vncDisplay: null,
      rtcLocalTime: w.os_type === "windows",
      pidFile: join(d, "qemu.pid"),
    });
    // Detached: an agent that stops or restarts leaves its VMs running.
    const qemu = spawn("qemu-system-x86_64", args, { detached: true, stdio: "ignore" });
    qemu.unref();
    await writeFile(join(d, "started-at"), String(Date.now()));
    for (let i = 0; i < 100 && !(existsSync(join(d, "qmp.sock")) && existsSync(join(d, "qemu.pid"))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async qmp<T>(id: string, work: (q: QmpClient) => Promise<T>): Promise<T> {
    const q = await QmpClient.connect(join(this.dir(id), "qmp.sock"));
    try {
      return await work(q);
    } finally {
      q.close();
    }
  }

  /** Stops the instance's QEMU at once, if it runs. */
  private async stop(id: string): Promise<void> {
    if (!(await this.processAlive(id))) return;
    const pid = Number(await readFile(join(this.dir(id), "qemu.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && (await this.processAlive(id)); i++)
      await new Promise((r) => setTimeout(r, 50));
  }
}

function describe(a: Action): string {
  return Object.entries(a)
    .map(([k, v]) => (k === "kind" ? v : `${k}=${v}`))
    .join(" ");
}

function networkOf(vif: { ipv4_address: string | null; netmask: string }): string {
  const prefix = vif.netmask
    .split(".")
    .reduce((n, o) => n + Number(o).toString(2).replace(/0/g, "").length, 0);
  const address = vif.ipv4_address ?? "10.0.2.15";
  const mask = prefixToNetmask(prefix).split(".").map(Number);
  return `${address
    .split(".")
    .map((o, i) => Number(o) & mask[i]!)
    .join(".")}/${prefix}`;
}

function freeHostPort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });
}
