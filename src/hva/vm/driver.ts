// Everything the agent does to a VM goes through a driver, as in Packer's
// builders: start it, ask whether it runs, power it off or reset it, take its
// screen, reach its console, kill it. The QEMU driver (qemu-driver.ts) is the
// real one; tests of the agent's loop use a fake (test/helpers/fake-vm-driver.ts).
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { DiskSpec, NicSpec } from "../../qemu/command.js";
import type { InstanceFiles } from "../instance-files.js";
import type { MoveFigures, MovingDisk } from "./live-move.js";

/** What the agent wants its instance's VM to be; the driver adds where its sockets and logs go. */
export interface InstanceVm {
  cpuCores: number;
  memoryMb: number;
  disks: readonly DiskSpec[];
  nics: readonly NicSpec[];
  /** A TPM 2.0 of the instance's own (swtpm), its state kept in the instance's directory. */
  tpm: boolean;
  /** UEFI: OVMF's code and the instance's own variable store; null: the PC BIOS. */
  firmware: { code: string; vars: string } | null;
  /** A QEMU CPU model (model/cpu-model.ts): the instance spec's, else the host's. */
  cpuModel: string;
  /** A Windows guest: its clock in local time, as Windows keeps it, and (under KVM) the Hyper-V enlightenments. */
  windows: boolean;
}

export interface VmDriver {
  /** Tells `listener` of every VM of the driver's that ends (the guest powered off, or the process died). */
  onExit(listener: (id: string) => void): void;
  /**
   * Starts the instance's VM, detached (it outlives the agent), and resolves
   * once it answers; it inherits `sockets` for its NICs, as fds 3, 4, ...
   * A move's destination (`incoming`) starts paused, its disks exported on
   * the NBD socket and the migration awaited on the other (live-move.ts);
   * its TPM starts empty: its state comes with the migration.
   */
  start(
    files: InstanceFiles,
    vm: InstanceVm,
    sockets: readonly Socket[],
    incoming?: { nbdSocket: string; migrationSocket: string },
  ): Promise<void>;
  /** A move's destination: runs the guest once the migration has come whole (rejects if not within `timeoutMs`). */
  runMovedIn(files: InstanceFiles, timeoutMs: number): Promise<void>;
  /** A move's source: its disks and the guest sent (live-move.ts sendMove); on failure, the guest runs on here. */
  moveOut(
    files: InstanceFiles,
    o: {
      nbdSocket: string;
      migrationSocket: string;
      disks: readonly MovingDisk[];
      timeoutMs: number;
      onProgress: (percent: number) => void;
      /** Nothing sent for `ms`: `cut` the channel and give the move up. */
      stall: { ms: number; cut: () => Promise<void> };
      /** Leave to hand the guest over, asked once all is copied; rejects: the move is given up. */
      mayHandOver: () => Promise<void>;
    },
  ): Promise<MoveFigures>;
  /** Whether the VM handed itself over to a move's destination: paused here for good, unless that move failed. */
  movedAway(files: InstanceFiles): Promise<boolean>;
  /**
   * Undoes a source's move no agent holds any more (the agent restarted):
   * the guest runs on here. False, with nothing undone, if it had handed itself over.
   */
  abandonMove(files: InstanceFiles, disks: readonly MovingDisk[]): Promise<boolean>;
  /** Runs again a guest that handed itself over to a destination that never ran it. */
  takeBack(files: InstanceFiles): Promise<void>;
  running(files: InstanceFiles): Promise<boolean>;
  /** Whether the VM's TPM (its swtpm) runs: a VM with a TPM whose swtpm ended has lost it. */
  tpmAlive(files: InstanceFiles): Promise<boolean>;
  /** Whether the driver follows this VM: false for one that ran before the agent (re)started. */
  follows(id: string): boolean;
  /** Follows a VM found running: its end is told to onExit's listeners as any other's. */
  adopt(files: InstanceFiles): Promise<void>;
  /** Asks the guest to power off (ACPI). */
  powerdown(files: InstanceFiles): Promise<void>;
  reset(files: InstanceFiles): Promise<void>;
  /** Ends the VM at once if it runs, and resolves once it has ended (VmStillRuns if it outlives that). */
  kill(files: InstanceFiles): Promise<void>;
  /** The VM's screen, as PNG. */
  screenshot(files: InstanceFiles): Promise<Buffer>;
  /** A connection to the VM's VNC server, once connected. */
  openConsole(files: InstanceFiles): Promise<Duplex>;
  /** Lets go of the VMs; they keep running for the next agent to adopt. */
  detach(): void;
}

/** A VM that outlived being killed (a host too loaded to reap it in time): the next pass tries again. */
export class VmStillRuns extends Error {}
