// An instance's directory, $WAKAME_HOME/instances/<id>: its disk, metadata
// drive, VM sockets and logs, and the marks the agent leaves itself between
// passes (so an agent restarted mid-way carries on). This module is the only
// one that knows the files' names; the others ask it for a path or a value.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { uuidProblem } from "../model/uuid.js";
import { backingOf, type InstanceDisk, rebaseOnto } from "./instance-disk.js";
import type { NetworkPlan } from "./network/instance-network.js";

/** The agent's marks, as the next pass finds them. */
export interface InstanceMarks {
  /** Disk, metadata drive and network plan made: the last thing `prepare` writes. */
  prepared: boolean;
  /** The metadata drive still holds first-boot: the first boot has not been collected. */
  firstBootPending: boolean;
  /** When the VM was last started, ms since the epoch. */
  startedAt: number | null;
  /** When an ACPI power-off was last asked of the guest, ms since the epoch. */
  powerdownAskedAt: number | null;
  /** When the VM was started to generalize itself for a backup, ms since the epoch. */
  sysprepStartedAt: number | null;
  /** Its guest generalized itself for the backup under way. */
  generalized: boolean;
}

export class InstanceFiles {
  constructor(
    readonly id: string,
    readonly dir: string,
  ) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  get metadataDrive() {
    return this.path("metadata.img");
  }
  get qmpSocket() {
    return this.path("qmp.sock");
  }
  /** The VM's VNC console: in the directory, so only the agent's user reaches it. */
  get vncSocket() {
    return this.path("vnc.sock");
  }
  get serialLog() {
    return this.path("serial.log");
  }
  /**
   * A move's two streams, each a unix socket in the directory: on the
   * destination its QEMU's (the disks' NBD export, the incoming migration),
   * on the source the relays its QEMU connects to.
   */
  get moveSockets() {
    return {
      nbd: this.path("move-nbd.sock"),
      migration: this.path("move-migration.sock"),
      files: this.path("move-files.sock"),
    };
  }
  /** Where a cold move's files arrive before they are checked and put in place. */
  get moveStaging() {
    return this.path("move-in");
  }

  /**
   * What a cold move carries, as names in the directory: what the instance
   * is made of (its disk, metadata drive, variable store, TPM state) and the
   * marks about its guest. The rest (its network's plan, the disk's record,
   * sockets, logs) the destination makes or keeps its own.
   */
  async carried(): Promise<string[]> {
    const names = [
      "disk.qcow2",
      "disk.raw",
      "metadata.img",
      "efivars.fd",
      "tpm",
      "first-boot.pending",
      "generalized",
      "password-error",
    ];
    return names.filter((n) => existsSync(this.path(n)));
  }
  get pidFile() {
    return this.path("qemu.pid");
  }
  /** QEMU's own stdout and stderr. */
  get qemuLog() {
    return this.path("qemu.log");
  }
  get screenshot() {
    return this.path("screenshot.png");
  }
  /** The state of the instance's own TPM (swtpm's directory): its keys and NV indexes. */
  get tpmState() {
    return this.path("tpm");
  }
  /** The instance's swtpm: its control socket (QEMU's end), pid file and log. */
  get swtpm() {
    return { socket: this.path("swtpm.sock"), pidFile: this.path("swtpm.pid"), log: this.path("swtpm.log") };
  }
  /** A UEFI instance's own variable store: its boot entries and Secure Boot keys. */
  get efiVars() {
    return this.path("efivars.fd");
  }
  /** The root disk: an overlay (qcow2) of a cached image, or a copy in the image's format. */
  disk(format: "raw" | "qcow2") {
    return this.path(`disk.${format}`);
  }
  /** The log of the user-mode network stack (passt) of NIC `index`. */
  passtLog(index: number) {
    return this.path(`passt-${index}.log`);
  }

  async marks(): Promise<InstanceMarks> {
    const time = (name: string) =>
      readFile(this.path(name), "utf8").then(
        (text) => Number(text),
        () => null,
      );
    return {
      prepared: existsSync(this.path("prepared")),
      firstBootPending: existsSync(this.path("first-boot.pending")),
      startedAt: await time("started-at"),
      powerdownAskedAt: await time("powerdown-asked-at"),
      sysprepStartedAt: await time("sysprep-started-at"),
      generalized: existsSync(this.path("generalized")),
    };
  }

  create(): Promise<unknown> {
    return mkdir(this.dir, { recursive: true });
  }

  /**
   * Puts a cold move's files (top-level `names` in the staging directory) in
   * place of those made here; an overlay is pointed at this host's copy of
   * its image first, the one the disk made here is backed by.
   */
  async takeArrived(names: readonly string[]): Promise<void> {
    const staged = (n: string) => join(this.moveStaging, n);
    const overlay = "disk.qcow2";
    if (names.includes(overlay) && existsSync(this.path(overlay))) {
      const backing = await backingOf(this.path(overlay));
      if (backing) await rebaseOnto(staged(overlay), backing);
    }
    for (const n of names) {
      await rm(this.path(n), { recursive: true, force: true });
      await rename(staged(n), this.path(n));
    }
    await rm(this.moveStaging, { recursive: true, force: true });
  }

  /** Written last by `prepare`: an agent stopped half way through prepares again from scratch. */
  markPrepared(): Promise<void> {
    return writeFile(this.path("prepared"), "");
  }

  firstBootPending(pending: boolean): Promise<void> {
    const mark = this.path("first-boot.pending");
    return pending ? writeFile(mark, "") : rm(mark, { force: true });
  }

  started(at: number): Promise<void> {
    return writeFile(this.path("started-at"), String(at));
  }

  /** When a power-off was asked of the guest; null: none is under way. */
  powerdownAsked(at: number | null): Promise<void> {
    const mark = this.path("powerdown-asked-at");
    return at === null ? rm(mark, { force: true }) : writeFile(mark, String(at));
  }

  /** When the VM was started with sysprep-for-backup; null: the backup's marks go (it ended). */
  sysprepStarted(at: number | null): Promise<void> {
    const mark = this.path("sysprep-started-at");
    return at === null ? rm(mark, { force: true }) : writeFile(mark, String(at));
  }

  generalized(done: boolean): Promise<void> {
    const mark = this.path("generalized");
    return done ? writeFile(mark, "") : rm(mark, { force: true });
  }

  /** Where a backup flattens the disk and packs it on its way to an HTTP storage. */
  get backupWork() {
    return this.path("backup");
  }

  async readDisk(): Promise<InstanceDisk> {
    return JSON.parse(await readFile(this.path("disk.json"), "utf8")) as InstanceDisk;
  }
  writeDisk(disk: InstanceDisk): Promise<void> {
    return writeFile(this.path("disk.json"), JSON.stringify(disk));
  }

  /** The network's plan for the instance, or null before it was prepared. */
  readPlan(): Promise<NetworkPlan | null> {
    return readFile(this.path("network.json"), "utf8").then(
      (text) => JSON.parse(text) as NetworkPlan,
      () => null,
    );
  }
  writePlan(plan: NetworkPlan): Promise<void> {
    return writeFile(this.path("network.json"), JSON.stringify(plan));
  }

  /** Why the first boot gave no password ("" when it did or has not ended). */
  passwordError(): Promise<string> {
    return readFile(this.path("password-error"), "utf8").catch(() => "");
  }
  writePasswordError(error: string): Promise<void> {
    return writeFile(this.path("password-error"), error);
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** $WAKAME_HOME/instances: one directory per instance, named by its id. */
export class InstanceDirectories {
  constructor(readonly root: string) {}

  /** An instance's files; an id that is no instance uuid never becomes a path. */
  of(id: string): InstanceFiles {
    const problem = uuidProblem("instance", id);
    if (problem) throw new Error(`instance id ${JSON.stringify(id)} ${problem}`);
    return new InstanceFiles(id, join(this.root, id));
  }

  /** The instances that have a directory here (anything else in the folder is none). */
  async ids(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => []);
    return names.filter((id) => !uuidProblem("instance", id));
  }
}
