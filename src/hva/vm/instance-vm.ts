// The VM an instance runs as, from what dcmgr says it should be: its size and
// CPU model, its disks on the bus its image supports, its NICs, whether it is
// Windows (its clock, its enlightenments). Pure.
import type { WantedInstance } from "../../model/agent-contract.js";
import type { NicSpec } from "../../qemu/command.js";
import type { InstanceDisk } from "../instance-disk.js";
import type { InstanceVm } from "./driver.js";

export function instanceVm(
  w: WantedInstance,
  disk: InstanceDisk,
  metadataDrive: string,
  nics: readonly NicSpec[],
  /** The host's CPU model (hva.conf cpu-model), for an instance whose spec names none. */
  hostCpuModel: string,
): InstanceVm {
  const bus = w.image.features.virtio === true ? "virtio" : "ide";
  return {
    cpuCores: w.cpu_cores,
    memoryMb: w.memory_size,
    disks: [
      { file: disk.file, format: disk.format, bus },
      { file: metadataDrive, format: "raw", bus },
    ],
    nics,
    cpuModel: w.cpu_model ?? hostCpuModel,
    windows: w.os_type === "windows",
  };
}
