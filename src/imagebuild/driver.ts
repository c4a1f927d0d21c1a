// Everything a build step does outside Node: QEMU, qemu-img, mtools, tar and
// the NTFS tools, behind one interface (as Packer's builders keep their
// driver). Steps say what they want done; hostDriver (host-driver.ts) does
// it with the real tools, and a fully automatic build or another
// hypervisor can bring its own.

import type { TpmFiles } from "../hva/vm/swtpm.js";
import type { MetadataContent } from "../model/guest-protocol.js";
import type { Accelerator, AcceleratorSetting } from "../qemu/accelerator.js";
import type { VmSpec } from "../qemu/command.js";
import type { DetachedFiles } from "../qemu/launch.js";
import type { Partition } from "./disk-partitions.js";
import type { packQcow2Gz, packSparseTarGz } from "./pack.js";

export interface BuildDriver {
  // qemu-img
  /** A sparse raw image of `size` (qemu-img's notation: 30G). */
  createBlankImage(file: string, size: string): Promise<void>;
  /** A qcow2 that writes to itself and reads the rest from `base` (raw), which stays as it is. */
  createOverlay(base: string, overlay: string): Promise<void>;

  // tar, qcow2 and compression on every core (pack.ts)
  packSparseTarGz: typeof packSparseTarGz;
  packQcow2Gz: typeof packQcow2Gz;
  /** Copies the data of a sparse file, holes kept. */
  sparseCopy(from: string, to: string): Promise<void>;
  /** The bytes a (sparse) file takes on disk: it grows as a VM writes to it. */
  allocatedBytes(file: string): Promise<number>;

  // Partitions and NTFS
  /** The partitions of a disk image (MBR or GPT). */
  partitionsOf(image: string): Promise<Partition[]>;
  /** Labels the NTFS of the partition `choose` picks; returns the byte ranges it rewrote. */
  setNtfsLabel(
    image: string,
    choose: (parts: Partition[]) => Partition | undefined,
    label: string,
  ): Promise<{ offset: number; length: number }[]>;
  /** A tar.gz of those of `paths` that exist on the image's Windows partition; returns what it held. */
  archiveWindowsLogs(image: string, paths: readonly string[], out: string): Promise<string[]>;
  /** Unmounts what an interrupted log archive left mounted under `dir`. */
  unmountLeftovers(dir: string): Promise<void>;

  // mtools
  makeFloppy(file: string, label: string, files: ReadonlyMap<string, Buffer>): Promise<void>;
  writeMetadataDrive(file: string, content: MetadataContent): Promise<void>;
  readMetadataFile(file: string, path: string): Promise<Buffer | undefined>;
  deleteMetadataFile(file: string, path: string): Promise<void>;

  // UEFI and the TPM
  /** A VM's own UEFI variable store, copied from `template` (whole or not at all). */
  makeVarStore(template: string, target: string): Promise<void>;
  /** Starts the VM's swtpm (its state made on the first start, kept after); it ends with its QEMU. */
  startTpm(files: TpmFiles): Promise<void>;

  // QEMU
  accelerator(setting: AcceleratorSetting): Promise<Accelerator>;
  /** Starts the VM detached (it outlives the step); returns its pid and command line. */
  startVm(vm: VmSpec, files: DetachedFiles): Promise<{ pid: number; args: string[] }>;
  /** The VM's pid while it runs. */
  vmPid(files: DetachedFiles): Promise<number | undefined>;
  /** Stops the VM with `signal`; false when it was not running. */
  stopVm(files: DetachedFiles, signal: NodeJS.Signals): Promise<boolean>;
  /** The VNC address the VM listens on (host:port). */
  vncAddress(files: DetachedFiles): Promise<string>;
  /** Sets the password of the VM's VNC console, which refuses everyone until then. */
  setVncPassword(files: DetachedFiles, password: string): Promise<void>;
  screendump(files: DetachedFiles, png: string): Promise<void>;
  /** Presses and releases a key (QEMU's key names: spc, ret) on the VM's keyboard. */
  pressKey(files: DetachedFiles, key: string): Promise<void>;
}
