// The disk Windows setup partitions (the answer file's DiskConfiguration):
// on BIOS an MBR disk with the original's active Boot partition and Windows
// on partition 2; on UEFI a GPT disk as Microsoft lays it out (an EFI system
// partition, the Microsoft reserved partition, Windows on partition 3). Pure:
// the layout, and its answer-file XML.
import type { InstallParams } from "./install-params.js";

export interface PartitionSpec {
  type: "Primary" | "EFI" | "MSR";
  /** MB; absent: the rest of the disk. */
  sizeMb?: number;
  format?: "NTFS" | "FAT32";
  label?: string;
  active?: boolean;
}

export interface PartitionLayout {
  partitions: PartitionSpec[];
  /** The partition Windows is installed to (1-based). */
  windows: number;
}

export function partitionLayout(p: Pick<InstallParams, "firmware" | "version">): PartitionLayout {
  if (p.firmware === "uefi")
    return {
      partitions: [
        { type: "EFI", sizeMb: 100, format: "FAT32", label: "System" },
        { type: "MSR", sizeMb: 16 },
        { type: "Primary", format: "NTFS", label: "Windows" },
      ],
      windows: 3,
    };
  const boot = p.version === "2008" || p.version === "2012" ? 350 : 500;
  return {
    partitions: [
      { type: "Primary", sizeMb: boot, format: "NTFS", label: "Boot", active: true },
      { type: "Primary", format: "NTFS", label: "System" },
    ],
    windows: 2,
  };
}

/** CreatePartitions and ModifyPartitions of the layout, indented for the template's <Disk>. */
export function partitionsXml(layout: PartitionLayout, indent: number): string {
  const pad = " ".repeat(indent);
  const element = (tag: string, value: string | number) => `${pad}    <${tag}>${value}</${tag}>`;
  const create = layout.partitions.map((part, i) =>
    [
      `${pad}  <CreatePartition wcm:action="add">`,
      element("Order", i + 1),
      element("Type", part.type),
      part.sizeMb === undefined ? element("Extend", "true") : element("Size", part.sizeMb),
      `${pad}  </CreatePartition>`,
    ].join("\n"),
  );
  // The MSR is left unformatted; the others are numbered in their own order.
  const modify = layout.partitions
    .map((part, i) => ({ part, id: i + 1 }))
    .filter(({ part }) => part.format)
    .map(({ part, id }, order) =>
      [
        `${pad}  <ModifyPartition wcm:action="add">`,
        element("Order", order + 1),
        element("PartitionID", id),
        ...(part.active ? [element("Active", "true")] : []),
        element("Format", part.format!),
        ...(part.label ? [element("Label", part.label)] : []),
        `${pad}  </ModifyPartition>`,
      ].join("\n"),
    );
  return [
    `${pad}<CreatePartitions>`,
    ...create,
    `${pad}</CreatePartitions>`,
    `${pad}<ModifyPartitions>`,
    ...modify,
    `${pad}</ModifyPartitions>`,
  ].join("\n");
}
