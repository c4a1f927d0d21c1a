// The VM an instance runs as, from what dcmgr says it should be: its size and
// CPU model, its firmware (BIOS, or UEFI with its own variable store), its
// disks on the bus its image supports, its NICs, whether it is Windows (its
// clock, its enlightenments). Pure.
import type { WantedInstance } from "../../model/agent-contract.js";
import { virtualHardware } from "../../model/image-features.js";
import type { NicSpec } from "../../qemu/command.js";
import type { InstanceDisk } from "../instance-disk.js";
import type { InstanceVm } from "./driver.js";
import type { HostHardware } from "./host-hardware.js";

/** The instance's own files the VM is made of. */
export interface InstanceMade {
  disk: InstanceDisk;
  metadataDrive: string;
  efiVars: string;
}

export function instanceVm(
  w: WantedInstance,
  made: InstanceMade,
  nics: readonly NicSpec[],
  host: HostHardware,
): InstanceVm {
  const bus = w.image.features.virtio === true ? "virtio" : "ide";
  const hw = virtualHardware(w.image.features);
  return {
    cpuCores: w.cpu_cores,
    memoryMb: w.memory_size,
    firmware: hw.firmware === "uefi" ? { code: host.ovmf.code, vars: made.efiVars } : null,
    tpm: hw.tpm,
    disks: [
      { file: made.disk.file, format: made.disk.format, bus },
      { file: made.metadataDrive, format: "raw", bus },
    ],
    nics,
    cpuModel: w.cpu_model ?? host.cpuModel,
    windows: w.os_type === "windows",
  };
}
