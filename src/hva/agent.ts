// The host agent's loop, as kubelet's: for each instance dcmgr places here,
// observe what it is (files, QEMU process, first boot), ask `nextAction`
// what to do, do it, and report. Instances live in
// $WAKAME_HOME/instances/<id>; QEMU runs detached with a pid file, so an agent
// restarted while its VMs run finds them again instead of starting twins.
// The agent holds one QMP connection per running VM: its end is how the agent
// learns at once that a guest powered off (guest-protocol.md, step 7).
// Passes overlap (a long image fetch must not hold up the other instances), so
// a read of dcmgr can return after the agent has acted on what it read: such a
// read is not used for that instance, and every report names the revision it
// was decided on, which dcmgr refuses when the instance has changed since.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { passwordRules } from "../model/guest-protocol.js";
import { uuidProblem } from "../model/uuid.js";
import { qemuArgs } from "../qemu/command.js";
import { livePid, startDetachedQemu, stopQemu } from "../qemu/launch.js";
import { QmpClient } from "../qemu/qmp.js";
import {
  type AgentApi,
  OutdatedView,
  type StateRead,
  type StateReport,
  type WantedInstance,
} from "./agent-api.js";
import { runConsoleTunnel } from "./console-tunnel.js";
import { collectPassword } from "./first-boot.js";
import { ImageCache } from "./image-cache.js";
import { createInstanceDisk, type InstanceDisk } from "./instance-disk.js";
import { writeMetadataDrive } from "./metadata-drive.js";
import { type InstanceNetwork, readPlan, writePlan } from "./network/instance-network.js";
import { type Action, nextAction, type Observed, recheckAt, type Timeouts } from "./reconcile.js";

export interface AgentOptions {
  api: AgentApi;
  /** $WAKAME_HOME of this host. */
  home: string;
  accel: "kvm" | "tcg";
  timeouts: Timeouts;
  network: InstanceNetwork;
  log: (line: string) => void;
}

/** The VM's VNC console, in its directory: only the agent's user reaches it. */
const vncSocket = "vnc.sock";

/** Actions that change only this host's files: the next one can follow at once, without a report in between. */
const localActions = new Set<Action["kind"]>(["prepare", "collect-password"]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A VM that outlived its SIGKILL (a host too loaded to reap it in time): the next pass tries again. */
class StillRunning extends Error {}

export class Agent {
  private readonly cache: ImageCache;
  private readonly busy = new Set<string>();
  /** A count of the agent's own events (reads of dcmgr begun, actions ended): it orders them. */
  private events = 0;
  /** The reads of dcmgr under way, by the event that began each. */
  private readonly reading = new Set<number>();
  /** Per instance, the event that ended the agent's last action on it. */
  private readonly lastActed = new Map<string, number>();
  private readonly consoles = new Map<string, Promise<QmpClient>>();
  /** The browser console tunnels open now, by tunnel id. */
  private readonly tunnels = new Set<string>();
  /** The naps under way: a stopped VM ends them. */
  private readonly nappers = new Set<() => void>();
  private wokenEarly = false;
  /** Per instance, when it must be looked at again though nothing changes (reconcile.ts recheckAt). */
  private readonly rechecks = new Map<string, number>();

  constructor(private readonly o: AgentOptions) {
    this.cache = new ImageCache(join(o.home, "image-cache"), o.log);
  }

  /** An instance's directory; an id that is no instance uuid never becomes a path. */
  private dir(id: string) {
    const problem = uuidProblem("instance", id);
    if (problem) throw new Error(`instance id ${JSON.stringify(id)} ${problem}`);
    return join(this.o.home, "instances", id);
  }

  /**
   * One pass over every instance of this host, and over local leftovers dcmgr
   * no longer lists, from a read of the host's state (`read`: a long-poll);
   * the revision it read.
   */
  async tick(read: StateRead = {}, now?: number): Promise<string> {
    const began = ++this.events;
    this.reading.add(began);
    let wanted: WantedInstance[];
    let dirs: string[];
    let revision: string;
    try {
      const state = await this.o.api.hostState(read);
      // dcmgr's answer is trusted only as far as it must be: an id that is no uuid is no instance here.
      wanted = state.instances.filter((w) => {
        const problem = uuidProblem("instance", w.id);
        if (problem)
          this.o.log(`ignoring an instance dcmgr lists: its id ${JSON.stringify(w.id)} ${problem}`);
        return !problem;
      });
      revision = state.revision;
      dirs = (await readdir(join(this.o.home, "instances")).catch(() => [])).filter(
        (id) => !uuidProblem("instance", id),
      );
      // Before the instances: a VM starts only on a bridge, behind a firewall, already there.
      await this.o.network.sync(state);
    } finally {
      this.reading.delete(began);
    }
    const at = now ?? Date.now();
    // An instance acted on since this read began is shown as it was before: the next read decides for it.
    const current = (id: string) => !this.busy.has(id) && (this.lastActed.get(id) ?? 0) < began;
    const listed = new Set(wanted.map((w) => w.id));
    const leftovers = dirs.filter((id) => !listed.has(id) && current(id));
    const steps = wanted.filter((w) => current(w.id));
    this.forgetOldActions();
    for (const id of this.rechecks.keys()) if (!listed.has(id)) this.rechecks.delete(id);
    await Promise.all([
      ...steps.map((w) => this.step(w, at)),
      ...leftovers.map((id) => this.removeLeftover(id)),
    ]);
    return revision;
  }

  /** The soonest time an instance must be looked at again though nothing changes; null: none. */
  nextRecheck(): number | null {
    return this.rechecks.size ? Math.min(...this.rechecks.values()) : null;
  }

  /** An action that ended before every read under way began can make no read stale any more. */
  private forgetOldActions(): void {
    const oldestRead = Math.min(...this.reading);
    for (const [id, at] of this.lastActed) if (at < oldestRead) this.lastActed.delete(id);
  }

  private acted(id: string): void {
    this.lastActed.set(id, ++this.events);
  }

  /**
   * Waits `ms`, or less: until `until` settles, or a VM stops (its QMP
   * connection ends); true in that last case, when a pass is due at once.
   */
  nap(ms: number, until?: Promise<unknown>): Promise<boolean> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.nappers.delete(wake);
        resolve(woken);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.nappers.add(wake);
      until?.then(
        () => done(false),
        () => done(false),
      );
    });
  }

  private wakeUp(): void {
    if (this.nappers.size === 0) this.wokenEarly = true;
    for (const wake of [...this.nappers]) wake();
  }

  /**
   * Powers every VM of this host off (ACPI, forced after `graceMs`) and
   * reports each halted: the all-in-one cloud's Ctrl-C.
   */
  async powerOffAll(graceMs: number): Promise<void> {
    const wanted = (await this.o.api.hostState()).instances;
    await Promise.all(
      wanted.map(async (w) => {
        if (!(await this.processAlive(w.id))) return;
        const duringFirstBoot = existsSync(join(this.dir(w.id), "first-boot.pending"));
        await (await this.console(w.id)).execute("system_powerdown").catch(() => {});
        for (let t = 0; t < graceMs && (await this.processAlive(w.id)); t += 100) await sleep(100);
        await this.stop(w.id);
        this.o.log(`${w.id}: powered off`);
        await this.report(w, {
          state: "halted",
          ...(duringFirstBoot && {
            error: "powered off during its first boot, so it has no password: terminate it and launch anew",
          }),
        }).catch((err: Error) => this.o.log(`${w.id}: ${err.message}`));
      }),
    );
  }

  /** Takes down what the host's network made, once no VM runs (powerOffAll): a demo's end. */
  takeDownNetwork(): Promise<void> {
    return this.o.network.takeDown();
  }

  /** Lets go of the QMP connections; the VMs keep running. */
  detach(): void {
    for (const c of this.consoles.values()) c.then((q) => q.close()).catch(() => {});
    this.consoles.clear();
  }

  private async step(w: WantedInstance, now: number): Promise<void> {
    this.busy.add(w.id);
    // A copy whose revision follows the reports dcmgr takes from this step: the only changes since the read are its own.
    const view = { ...w };
    let acting = false;
    try {
      for (;;) {
        const seen = await this.observe(w.id);
        if (seen.running && !this.consoles.has(w.id)) {
          // A VM this agent did not start: it ran before the agent (re)started.
          this.o.log(`${w.id}: QEMU found running, adopted`);
          await this.console(w.id).catch(() => {});
        }
        const action = nextAction(view, seen, now, this.o.timeouts);
        if (action.kind === "wait") {
          const at = recheckAt(view, seen, this.o.timeouts);
          if (at === null) this.rechecks.delete(w.id);
          else this.rechecks.set(w.id, at);
          break;
        }
        this.o.log(`${w.id}: ${w.state} -> ${describe(action)}`);
        acting = true;
        await this.act(view, action);
        if (!localActions.has(action.kind)) break;
      }
      if (w.screenshot_requested && (await this.processAlive(w.id))) await this.screenshot(w.id);
      for (const tunnel of w.console_tunnels) this.openTunnel(w.id, tunnel);
    } catch (err) {
      if (err instanceof OutdatedView) {
        this.o.log(`${w.id}: changed since revision ${view.revision} was read; reading it again`);
        this.wakeUp();
      } else if (err instanceof StillRunning) {
        this.o.log(`${w.id}: ${err.message}`);
        this.rechecks.set(w.id, Date.now() + 1000);
      } else {
        this.o.log(`${w.id}: ${(err as Error).message}`);
        await this.report(view, { state: "halted", error: (err as Error).message }).catch(() => {});
      }
    } finally {
      if (acting) this.acted(w.id);
      this.busy.delete(w.id);
    }
  }

  /** Reports what `view` has become; a report dcmgr takes moves the view to the revision it made. */
  private async report(view: WantedInstance, report: StateReport): Promise<void> {
    view.revision = (await this.o.api.report(view.id, view.revision, report)).revision;
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
    return (await livePid(join(this.dir(id), "qemu.pid"), this.dir(id))) !== undefined;
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
        return this.report(w, {
          state: a.report,
          error: await readFile(join(d, "password-error"), "utf8").catch(() => ""),
          done_action: a.done,
          port_forwards: (await readPlan(d))?.vifs.map((v) => v.port_forwards) ?? [],
        });
      case "collect-password": {
        const collected = await collectPassword(join(d, "metadata.img"), w.ssh_public_key ?? "");
        if ("encryptedPassword" in collected)
          w.revision = (
            await this.o.api.storePassword(w.id, w.revision, collected.encryptedPassword)
          ).revision;
        else await writeFile(join(d, "password-error"), collected.error);
        await rm(join(d, "first-boot.pending"), { force: true });
        return;
      }
      case "powerdown":
        await (await this.console(w.id)).execute("system_powerdown");
        await writeFile(join(d, "powerdown-asked-at"), String(Date.now()));
        return;
      case "reset":
        await (await this.console(w.id)).execute("system_reset");
        return this.report(w, { state: "running", done_action: a.done });
      case "force-stop":
        await this.stop(w.id);
        return this.report(w, { state: "halted", error: a.error, done_action: a.done });
      case "destroy":
        await this.stop(w.id);
        await this.detachNetwork(w.id);
        await rm(d, { recursive: true, force: true });
        return this.report(w, { state: "terminated" });
      case "report":
        await rm(join(d, "powerdown-asked-at"), { force: true });
        return this.report(w, { state: a.state, error: a.error, done_action: a.done });
    }
  }

  private async prepare(w: WantedInstance): Promise<void> {
    const d = this.dir(w.id);
    await mkdir(d, { recursive: true });
    const base = await this.cache.get(w.image.backup_object);
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
      retryGenPassword: passwordRules.defaultRetries,
      extraHosts: {},
      userData: w.user_data === null ? null : Buffer.from(w.user_data),
    });
    await writePlan(d, await this.o.network.plan(w));
    await writeFile(join(d, "disk.json"), JSON.stringify(disk));
    if (windows) await writeFile(join(d, "first-boot.pending"), "");
    // Last: an agent stopped half way through prepares again from scratch.
    await writeFile(join(d, "prepared"), "");
  }

  /** Undoes the host side of the instance's NICs, if it got as far as having a plan. */
  private async detachNetwork(id: string): Promise<void> {
    const plan = await readPlan(this.dir(id));
    if (plan) await this.o.network.detach(plan);
  }

  private async start(w: WantedInstance): Promise<void> {
    const d = this.dir(w.id);
    const disk = JSON.parse(await readFile(join(d, "disk.json"), "utf8")) as InstanceDisk;
    const bus = w.image.features.virtio === true ? "virtio" : "ide";
    await rm(join(d, "powerdown-asked-at"), { force: true });
    const plan = await readPlan(d);
    if (!plan) throw new Error(`its network plan is missing from ${d}`);
    const sockets = await this.o.network.attach(w, plan);
    const args = qemuArgs({
      name: w.id,
      cpuCores: w.cpu_cores,
      memoryMb: w.memory_size,
      accel: this.o.accel,
      disks: [
        { file: disk.file, format: disk.format, bus },
        { file: join(d, "metadata.img"), format: "raw", bus },
      ],
      nics: this.o.network.nics(w, plan),
      qmpSocket: join(d, "qmp.sock"),
      serialLog: join(d, "serial.log"),
      vnc: { socket: join(d, vncSocket) },
      rtcBase: w.os_type === "windows" ? "localtime" : "utc",
      pidFile: join(d, "qemu.pid"),
    });
    // Detached: an agent that stops or restarts leaves its VMs running.
    await startDetachedQemu(
      args,
      { qmpSocket: join(d, "qmp.sock"), pidFile: join(d, "qemu.pid"), log: join(d, "qemu.log") },
      sockets,
    );
    await writeFile(join(d, "started-at"), String(Date.now()));
    await this.console(w.id);
    this.o.log(`${w.id}: QEMU started (${this.o.accel}), console on ${join(d, vncSocket)}`);
  }

  /**
   * The VM's QMP connection, opened once and kept: when it ends, QEMU has
   * exited (the guest powered off, or the process died), and the loop wakes.
   */
  private console(id: string): Promise<QmpClient> {
    let c = this.consoles.get(id);
    if (!c) {
      c = QmpClient.connect(join(this.dir(id), "qmp.sock"));
      this.consoles.set(id, c);
      c.then(
        (q) =>
          q.closed.then(async () => {
            if (this.consoles.get(id) !== c) return;
            this.consoles.delete(id);
            // The socket closes as QEMU exits; the process is gone a moment later.
            for (let i = 0; i < 200 && (await this.processAlive(id)); i++) await sleep(10);
            this.o.log(`${id}: QEMU exited`);
            this.wakeUp();
          }),
        () => this.consoles.delete(id),
      );
    }
    return c;
  }

  private async screenshot(id: string): Promise<void> {
    const file = join(this.dir(id), "screenshot.png");
    await (await this.console(id)).execute("screendump", { filename: file, format: "png" });
    await this.o.api.deliverScreenshot(id, await readFile(file));
  }

  /** Connects a browser console to the VM's VNC server, in the background: it lasts as long as the page keeps it. */
  private openTunnel(id: string, tunnel: { id: string; dcmgr: string | null }): void {
    if (this.tunnels.has(tunnel.id)) return;
    this.tunnels.add(tunnel.id);
    const run = async () => {
      if (!(await this.processAlive(id))) throw new Error("its VM does not run");
      const socket = await this.o.api.openConsoleTunnel(id, tunnel);
      this.o.log(`${id}: console opened in a browser`);
      await runConsoleTunnel(join(this.dir(id), vncSocket), socket);
      this.o.log(`${id}: console closed`);
    };
    run()
      .catch((err: Error) => this.o.log(`${id}: cannot open the console: ${err.message}`))
      .finally(() => this.tunnels.delete(tunnel.id));
  }

  /** Stops the instance's QEMU at once, if it runs: nothing is reported of it before the process has ended. */
  private async stop(id: string): Promise<void> {
    await stopQemu(join(this.dir(id), "qemu.pid"), this.dir(id), "SIGKILL");
    if (await this.processAlive(id))
      throw new StillRunning(`QEMU still runs 5 s after SIGKILL; trying again`);
  }

  /** An instance dir whose instance dcmgr no longer lists (terminated while pending, say). */
  private async removeLeftover(id: string): Promise<void> {
    this.busy.add(id);
    try {
      await this.stop(id);
      await this.detachNetwork(id);
      await rm(this.dir(id), { recursive: true, force: true });
      this.o.log(`${id}: removed, dcmgr no longer lists it`);
    } catch (err) {
      this.o.log(`${id}: cannot remove what is left of it: ${(err as Error).message}`);
    } finally {
      this.acted(id);
      this.busy.delete(id);
    }
  }
}

function describe(a: Action): string {
  return Object.entries(a)
    .map(([k, v]) => (k === "kind" ? v : `${k}=${v}`))
    .join(" ");
}
