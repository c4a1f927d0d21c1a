// The host agent's loop, as kubelet's: for each instance dcmgr places here,
// observe what it is (its files' marks, its VM), ask `nextAction` what to do,
// do it (actions.ts), and report. Instances live in $WAKAME_HOME/instances/<id>
// (instance-files.ts); VMs go through a driver (vm/driver.ts), whose VMs
// outlive the agent, so a restarted agent finds them again. Passes overlap,
// so a read of dcmgr can come back after the agent acted on what it read:
// read-order.ts keeps such a read from deciding for that instance.
import type { StateReport, WantedInstance } from "../model/agent-contract.js";
import { virtualHardware } from "../model/image-features.js";
import { uuidProblem } from "../model/uuid.js";
import { type ActionTools, carryOut, removeInstance, report } from "./actions.js";
import { type AgentApi, OutdatedView, type StateRead } from "./agent-api.js";
import { sysprepFlagOn } from "./backup/sysprep.js";
import { ConsoleTunnels } from "./console-tunnel.js";
import type { ImageCache } from "./image-cache.js";
import type { InstanceDirectories, InstanceFiles } from "./instance-files.js";
import { Moves } from "./move/run-move.js";
import { Naps } from "./naps.js";
import type { InstanceNetwork } from "./network/instance-network.js";
import { powerOffAll } from "./power-off-all.js";
import { ReadOrder } from "./read-order.js";
import { type Action, nextAction, type Observed, recheckAt, type Timeouts } from "./reconcile.js";
import { type VmDriver, VmStillRuns } from "./vm/driver.js";
import type { HostHardware } from "./vm/host-hardware.js";

export interface AgentOptions {
  api: AgentApi;
  /** $WAKAME_HOME/instances: each instance's files. */
  instances: InstanceDirectories;
  imageCache: ImageCache;
  vms: VmDriver;
  /** What this host gives every VM: its default CPU model, its UEFI firmware. */
  host: HostHardware;
  timeouts: Timeouts;
  /** Hosts entries for every instance's metadata drive (the operator's --extra-hosts). */
  extraHosts?: Readonly<Record<string, string>>;
  network: InstanceNetwork;
  /** How long a move may take before its source gives it up (default 30 min). */
  moveTimeoutMs?: number;
  log: (line: string) => void;
}

const defaultMoveTimeoutMs = 30 * 60_000;
/** A move that sends nothing for this long has lost its link: a copy under way never pauses that long. */
const moveStallMs = 30_000;

/** Actions that change only this host's files: the next one can follow at once, without a report in between. */
const localActions = new Set<Action["kind"]>(["prepare", "collect-password", "generalized"]);

export class Agent {
  private readonly dirs: InstanceDirectories;
  private readonly tools: ActionTools;
  private readonly order = new ReadOrder();
  private readonly naps = new Naps();
  private readonly tunnels: ConsoleTunnels;
  /** Per instance, when it must be looked at again though nothing changes (reconcile.ts recheckAt). */
  private readonly rechecks = new Map<string, number>();

  constructor(private readonly o: AgentOptions) {
    this.dirs = o.instances;
    this.tools = {
      api: o.api,
      vms: o.vms,
      network: o.network,
      cache: o.imageCache,
      host: o.host,
      extraHosts: o.extraHosts ?? {},
      moves: new Moves(o.moveTimeoutMs ?? defaultMoveTimeoutMs, moveStallMs, o.log),
    };
    this.tunnels = new ConsoleTunnels(o.api, o.vms, o.log);
    // A VM that stops wakes the loop: its pass reports it at once (guest-protocol.md, step 7).
    o.vms.onExit(() => this.naps.wake());
  }

  /**
   * One pass over every instance of this host, and over local leftovers dcmgr
   * no longer lists, from a read of the host's state (`read`: a long-poll);
   * the revision it read.
   */
  async tick(read: StateRead = {}, now?: number): Promise<string> {
    const began = this.order.beginRead();
    let steps: WantedInstance[];
    let leftovers: string[];
    let revision: string;
    try {
      const state = await this.o.api.hostState(read);
      // dcmgr's answer is trusted only as far as it must be: an id that is no uuid is no instance here.
      const wanted = state.instances.filter((w) => {
        const problem = uuidProblem("instance", w.id);
        if (problem)
          this.o.log(`ignoring an instance dcmgr lists: its id ${JSON.stringify(w.id)} ${problem}`);
        return !problem;
      });
      revision = state.revision;
      const here = await this.dirs.ids();
      // Before the instances: a VM starts only on a bridge, behind a firewall, already there.
      await this.o.network.sync({ ...state, instances: wanted });
      // An instance acted on since this read began is shown as it was before: the next read decides for it.
      const listed = new Set(wanted.map((w) => w.id));
      // One this agent is sending away stays until the send has ended (move/run-move.ts).
      leftovers = here.filter(
        (id) => !listed.has(id) && !this.tools.moves.sends(id) && this.order.shows(id, began),
      );
      steps = wanted.filter((w) => this.order.shows(w.id, began));
      for (const id of this.rechecks.keys()) if (!listed.has(id)) this.rechecks.delete(id);
    } finally {
      this.order.endRead(began);
    }
    const at = now ?? Date.now();
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

  /** Waits `ms`, or less: until `until` settles, or a VM stops; true in that last case, when a pass is due at once. */
  nap(ms: number, until?: Promise<unknown>): Promise<boolean> {
    return this.naps.nap(ms, until);
  }

  /** Powers every VM of this host off (ACPI, forced after `graceMs`) and reports each halted. */
  powerOffAll(graceMs: number): Promise<void> {
    return powerOffAll(this.dirs, this.tools, graceMs, this.o.log);
  }

  /** Takes down what the host's network made, once no VM runs (powerOffAll): a demo's end. */
  takeDownNetwork(): Promise<void> {
    return this.o.network.takeDown();
  }

  /** Lets go of the VMs; they keep running. */
  detach(): void {
    this.tools.moves.detach();
    this.o.vms.detach();
  }

  private async step(w: WantedInstance, now: number): Promise<void> {
    // A copy that follows the reports dcmgr takes from this step: the only changes since the read are its own.
    const view = { ...w };
    let acting = false;
    this.order.take(w.id);
    try {
      const files = this.dirs.of(w.id);
      // A VM the agent does not follow ran before the agent (re)started: followed first, then looked at.
      if (!this.o.vms.follows(w.id) && (await this.o.vms.running(files)))
        await this.o.vms.adopt(files).catch(() => {});
      let seen = await this.observe(w);
      for (;;) {
        const action = nextAction(view, seen, now, this.o.timeouts);
        if (action.kind !== "wait") {
          this.o.log(`${w.id}: ${w.state} -> ${describe(action)}`);
          acting = true;
          await carryOut(action, view, files, this.tools);
          seen = await this.observe(w);
        }
        if (!localActions.has(action.kind)) break;
      }
      // Its own deadline (first boot, power-off grace), from its files and VM now and the state last reported.
      const at = recheckAt(view, seen, this.o.timeouts);
      if (at === null) this.rechecks.delete(w.id);
      else this.rechecks.set(w.id, at);
      await this.serveWaits(w, files);
    } catch (err) {
      await this.failed(view, err as Error);
    } finally {
      this.order.release(w.id, acting);
    }
  }

  /** What users wait for of the VM: a screenshot, browser consoles. Their failures are theirs, not the instance's. */
  private async serveWaits(w: WantedInstance, files: InstanceFiles): Promise<void> {
    if (w.screenshot_requested && (await this.o.vms.running(files)))
      await this.o.vms
        .screenshot(files)
        .then((png) => this.o.api.deliverScreenshot(w.id, png))
        .catch((err: Error) => this.o.log(`${w.id}: cannot deliver its screenshot: ${err.message}`));
    for (const tunnel of w.console_tunnels) this.tunnels.connect(files, tunnel);
  }

  private async failed(view: WantedInstance, err: Error): Promise<void> {
    if (err instanceof OutdatedView) {
      this.o.log(`${view.id}: changed since revision ${view.revision} was read; reading it again`);
      this.naps.wake();
    } else if (err instanceof VmStillRuns) {
      this.o.log(`${view.id}: ${err.message}`);
      this.rechecks.set(view.id, Date.now() + 1000);
    } else {
      this.o.log(`${view.id}: ${err.message}`);
      const halted: StateReport = { state: "halted", error: err.message };
      await report(this.o.api, view, halted).catch(() => {});
    }
  }

  private async observe(w: WantedInstance): Promise<Observed> {
    const files = this.dirs.of(w.id);
    const { prepared, ...marks } = await files.marks();
    const running = await this.o.vms.running(files);
    const tpmLost = running && virtualHardware(w.image.features).tpm && !(await this.o.vms.tpmAlive(files));
    // Read off the drive only when it tells something: a VM down after a boot with the flag.
    const sysprepFlagGone =
      prepared && !running && marks.sysprepStartedAt !== null && !(await sysprepFlagOn(files));
    const moveHeld = w.move !== null && this.tools.moves.holds(w.move.move_id);
    // Asked of QEMU only where it tells something: a VM that runs where a move was, or is.
    // A VM ending now (its guest powered off) closes its QMP under the question: then it moved nowhere.
    const movedAway =
      running &&
      (w.move?.role === "source" || w.move === null) &&
      (await this.o.vms.movedAway(files).catch(() => false));
    return { files: prepared, running, tpmLost, sysprepFlagGone, moveHeld, movedAway, ...marks };
  }

  /** An instance dir whose instance dcmgr no longer lists (terminated while pending, say). */
  private async removeLeftover(id: string): Promise<void> {
    this.order.take(id);
    try {
      await removeInstance(this.dirs.of(id), this.tools);
      this.o.log(`${id}: removed, dcmgr no longer lists it`);
    } catch (err) {
      this.o.log(`${id}: cannot remove what is left of it: ${(err as Error).message}`);
    } finally {
      this.order.release(id, true);
    }
  }
}

function describe(a: Action): string {
  return Object.entries(a)
    .map(([k, v]) => (k === "kind" ? v : `${k}=${v}`))
    .join(" ");
}
