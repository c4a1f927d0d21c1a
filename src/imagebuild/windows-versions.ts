// The Windows versions the builder installs, what each is called, and the
// virtual hardware each needs (Microsoft's published minimums): Windows 11
// refuses to install without UEFI, Secure Boot, a TPM 2.0, 4 GB and 64 GB;
// Windows Server 2025 wants 2 GB with the desktop and 32 GB. Pure.

export const windowsVersions = ["2008", "2012", "2016", "2019", "2022", "2025", "11"] as const;
export type WindowsVersion = (typeof windowsVersions)[number];

/** Its name as Microsoft's media say it: Windows Server 2012 R2, Windows 11. */
export function versionName(version: WindowsVersion): string {
  if (version === "11") return "Windows 11";
  return `Windows Server ${version}${version === "2008" || version === "2012" ? " R2" : ""}`;
}

/** The versions whose builds are UEFI, with Secure Boot and a TPM, unless the settings say otherwise. */
export const uefiByDefault = (version: WindowsVersion) => version === "11" || version === "2025";

export interface HardwareMinimums {
  memoryMb: number;
  cpus: number;
  diskGiB: number;
  /** Setup refuses a PC without them (Windows 11); otherwise they are the default only. */
  requiresUefiSecureBootTpm: boolean;
  /** Where the figures come from, for messages. */
  source: string;
}

const minimums: Partial<Record<WindowsVersion, HardwareMinimums>> = {
  "11": {
    memoryMb: 4096,
    cpus: 2,
    diskGiB: 64,
    requiresUefiSecureBootTpm: true,
    source: "Windows 11's system requirements",
  },
  "2025": {
    memoryMb: 2048,
    cpus: 1,
    diskGiB: 32,
    requiresUefiSecureBootTpm: false,
    source: "Windows Server 2025's system requirements (Desktop Experience)",
  },
};

export const hardwareMinimums = (version: WindowsVersion): HardwareMinimums | undefined => minimums[version];

/** GiB in a qemu-img size (30G, 40960M, 1T). */
export function sizeGiB(size: string): number {
  const m = /^(\d+)([MGT])$/.exec(size);
  if (!m) return Number.NaN;
  return Number(m[1]) * { M: 1 / 1024, G: 1, T: 1024 }[m[2] as "M" | "G" | "T"];
}

/** The build's hardware as its settings say it. */
export interface BuildHardware {
  memoryMb: number;
  cpus: number;
  imageSize: string;
  firmware: "bios" | "uefi";
  secureBoot: boolean;
  tpm: boolean;
}

/** What in `hw` the version's installer would refuse, each with the setting that mends it. */
export function hardwareProblems(version: WindowsVersion, hw: BuildHardware): string[] {
  const problems: string[] = [];
  if (hw.secureBoot && hw.firmware !== "uefi")
    problems.push("SECUREBOOT=yes needs FIRMWARE=uefi: Secure Boot is a UEFI feature");
  const min = hardwareMinimums(version);
  if (!min) return problems;
  const name = versionName(version);
  if (hw.memoryMb < min.memoryMb)
    problems.push(`MEMORY=${hw.memoryMb} is below ${min.source}: write MEMORY=${min.memoryMb} or more`);
  if (hw.cpus < min.cpus)
    problems.push(`CPUS=${hw.cpus} is below ${min.source}: write CPUS=${min.cpus} or more`);
  if (!(sizeGiB(hw.imageSize) >= min.diskGiB))
    problems.push(
      `IMAGESIZE=${hw.imageSize} is below ${min.source}: write IMAGESIZE=${min.diskGiB}G or more`,
    );
  if (min.requiresUefiSecureBootTpm) {
    const lacking = [
      hw.firmware !== "uefi" && "FIRMWARE=uefi",
      !hw.secureBoot && "SECUREBOOT=yes",
      !hw.tpm && "TPM=yes",
    ].filter(Boolean);
    if (lacking.length > 0)
      problems.push(
        `${name} setup refuses a PC without UEFI, Secure Boot and a TPM 2.0: write ${lacking.join(", ")}`,
      );
  }
  return problems;
}
