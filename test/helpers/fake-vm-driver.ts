// A fake VM driver (src/hva/vm/driver.ts) for tests of the agent's loop
// without QEMU: it starts nothing, remembers what it was asked, and lets a
// test make a VM's end happen (the guest powering off, the process dying) or a
// fault no real VM gives on demand (one that outlives being killed).
import { PassThrough } from "node:stream";
import type { InstanceFiles } from "../../src/hva/instance-files.js";
import { type InstanceVm, type VmDriver, VmStillRuns } from "../../src/hva/vm/driver.js";
import type { MoveFigures } from "../../src/hva/vm/live-move.js";
import { blankImage } from "../../src/image/image.js";
import { encodePng } from "../../src/image/png.js";

export class FakeVmDriver implements VmDriver {
  /** The VMs running now, by instance id, as they were started. */
  readonly vms = new Map<string, InstanceVm>();
  /** Every call, in order, as "call id". */
  readonly calls: string[] = [];
  private readonly followed = new Set<string>();
  private readonly listeners: ((id: string) => void)[] = [];
  /** Instances whose VM survives the next kill. */
  readonly survivesKill = new Set<string>();

  onExit(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }

  async start(files: InstanceFiles, vm: InstanceVm, _sockets: unknown, incoming?: unknown): Promise<void> {
    this.calls.push(`${incoming ? "start-incoming" : "start"} ${files.id}`);
    this.vms.set(files.id, vm);
    this.followed.add(files.id);
  }

  async running(files: InstanceFiles): Promise<boolean> {
    return this.vms.has(files.id);
  }

  /** Instances whose TPM (swtpm) has ended while their VM runs. */
  readonly tpmLost = new Set<string>();

  async tpmAlive(files: InstanceFiles): Promise<boolean> {
    return this.vms.get(files.id)?.tpm === true && !this.tpmLost.has(files.id);
  }

  follows(id: string): boolean {
    return this.followed.has(id);
  }

  async adopt(files: InstanceFiles): Promise<void> {
    this.calls.push(`adopt ${files.id}`);
    this.followed.add(files.id);
  }

  async powerdown(files: InstanceFiles): Promise<void> {
    this.calls.push(`powerdown ${files.id}`);
  }

  async reset(files: InstanceFiles): Promise<void> {
    this.calls.push(`reset ${files.id}`);
  }

  async kill(files: InstanceFiles): Promise<void> {
    this.calls.push(`kill ${files.id}`);
    if (this.survivesKill.delete(files.id)) throw new VmStillRuns("the VM still runs after being killed");
    this.arrivals.get(files.id)?.reject(new Error("QEMU exited"));
    this.arrivals.delete(files.id);
    this.vms.delete(files.id);
    this.followed.delete(files.id);
  }

  /** What the next screenshots show: a grey 4x4 picture, unless a test makes it something else. */
  screen: Buffer = encodePng(blankImage(4, 4));

  async screenshot(files: InstanceFiles): Promise<Buffer> {
    this.calls.push(`screenshot ${files.id}`);
    return this.screen;
  }

  async openConsole(files: InstanceFiles): Promise<PassThrough> {
    this.calls.push(`console ${files.id}`);
    return new PassThrough();
  }

  detach(): void {
    this.followed.clear();
  }

  /** Why the next moves out fail (null: they hand the guest over), and the VMs handed over. */
  moveOutFailure: Error | null = null;
  readonly handedOver = new Set<string>();

  /** The moves coming to this driver's VMs: each waits for the test's arrive(), or its VM's kill. */
  private readonly arrivals = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();

  async runMovedIn(files: InstanceFiles): Promise<void> {
    this.calls.push(`run-moved-in ${files.id}`);
    return new Promise((resolve, reject) => this.arrivals.set(files.id, { resolve, reject }));
  }

  /** The migration to `id` has come whole: its guest runs here. */
  arrive(id: string): void {
    this.arrivals.get(id)?.resolve();
    this.arrivals.delete(id);
  }

  /** Held, the moves out copy until the test lets them reach the hand-over (`release`). */
  private copying: Promise<void> | null = null;
  holdCopies(): { release: () => void } {
    return this.gate((p) => {
      this.copying = p;
    });
  }
  /** Held, the moves out see their migration complete (after the hand-over) only once released. */
  private completing: Promise<void> | null = null;
  holdCompletions(): { release: () => void } {
    return this.gate((p) => {
      this.completing = p;
    });
  }
  private gate(set: (p: Promise<void>) => void): { release: () => void } {
    let release = () => {};
    set(
      new Promise((r) => {
        release = r;
      }),
    );
    return { release };
  }

  async moveOut(files: InstanceFiles, o: Parameters<VmDriver["moveOut"]>[1]): Promise<MoveFigures> {
    this.calls.push(`move-out ${files.id}`);
    if (this.moveOutFailure) throw this.moveOutFailure;
    await this.copying;
    await o.mayHandOver();
    this.handedOver.add(files.id);
    await this.completing;
    // Its QEMU ended under the last question (the agent removed it meanwhile).
    if (!this.vms.has(files.id)) throw new Error("QMP connection closed before query-migrate");
    return { totalMs: 1, downtimeMs: 1 };
  }

  /** VMs whose QMP closes under the question (their guest powering off at that moment). */
  readonly endingUnderQuestion = new Set<string>();

  async movedAway(files: InstanceFiles): Promise<boolean> {
    if (this.endingUnderQuestion.has(files.id)) throw new Error("QMP connection closed");
    return this.handedOver.has(files.id);
  }

  async abandonMove(files: InstanceFiles): Promise<boolean> {
    this.calls.push(`abandon-move ${files.id}`);
    return !this.handedOver.has(files.id);
  }

  async takeBack(files: InstanceFiles): Promise<void> {
    this.calls.push(`take-back ${files.id}`);
    this.handedOver.delete(files.id);
  }

  /** The VM ends by itself (the guest powered off, or the process died). */
  exit(id: string): void {
    this.vms.delete(id);
    this.followed.delete(id);
    for (const listener of this.listeners) listener(id);
  }

  /** A VM found running that this driver does not follow: one a previous agent started. */
  leftRunning(id: string, vm: InstanceVm): void {
    this.vms.set(id, vm);
  }
}
