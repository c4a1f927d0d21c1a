// install-params/: the build's settings as step 1 captured them, one file a
// parameter (image-build.md). Later steps read only these, never the
// environment or the ini file again, so a build resumed next week from
// another shell does what it set out to do.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AcceleratorSetting } from "../qemu/accelerator.js";
import type { WindowsVersion } from "./windows-versions.js";

export const installParamsDir = "install-params";

export interface InstallParams {
  version: WindowsVersion;
  /** Absolute path of the installation ISO. */
  winIso: string;
  /** Product key, or "none". */
  winKey: string;
  /** Name of the answer file chosen for the version and language. */
  ansFile: string;
  winLang: "ja-JP" | "en-US";
  imageName: string;
  /** Absolute path of the virtio driver ISO. */
  virtioIso: string;
  virtioPaths: string[];
  /** Absolute paths of the extra installers, in order. */
  extraInstallers: string[];
  imageSize: string;
  installMac: string;
  bootMac: string;
  installDate: string;
  accel: AcceleratorSetting;
  memoryMb: number;
  cpus: number;
  firmware: "bios" | "uefi";
  secureBoot: boolean;
  tpm: boolean;
  /** Secure Boot builds: the variable store template the build's VMs start from; "" for Debian's. */
  ovmfVars: string;
  ipv4: string;
  netmask: string;
  gateway: string;
  firstBoot: boolean;
  autoActivate: boolean;
  proxy: string;
  /** Automatic builds: absolute path of the needle directory. */
  needlesDir: string;
  /** Automatic builds: absolute path of the console script. */
  consoleScript: string;
  /** Automatic builds: keys a second. */
  keyRate: number;
}

/** File name in install-params/ of each parameter (the original's names where it had them). */
const files: Record<keyof InstallParams, string> = {
  version: "LABEL",
  winIso: "WINISO",
  winKey: "WINKEY",
  ansFile: "ANSFILE",
  winLang: "WINLANG",
  imageName: "IMAGENAME",
  virtioIso: "VIRTIOISO",
  virtioPaths: "VIRTIOPATHS",
  extraInstallers: "EXTRA_INSTALLERS",
  imageSize: "IMAGESIZE",
  installMac: "INSTALLMAC",
  bootMac: "BOOTMAC",
  installDate: "INSTALLDATE",
  accel: "ACCEL",
  memoryMb: "MEMORY",
  cpus: "CPUS",
  firmware: "FIRMWARE",
  secureBoot: "SECUREBOOT",
  tpm: "TPM",
  ovmfVars: "OVMF_VARS",
  ipv4: "IPV4",
  netmask: "NETMASK",
  gateway: "GATEWAY",
  firstBoot: "FIRSTBOOT",
  autoActivate: "AUTOACTIVATE",
  proxy: "PROXY",
  needlesDir: "NEEDLES_DIR",
  consoleScript: "CONSOLE_SCRIPT",
  keyRate: "KEYRATE",
};

function text(value: InstallParams[keyof InstallParams]): string {
  if (Array.isArray(value)) return value.join("\n");
  if (typeof value === "boolean") return value ? "yes" : "";
  return String(value);
}

/** Writes every parameter, whole or not at all (a directory renamed into place). */
export async function writeInstallParams(buildDir: string, p: InstallParams): Promise<void> {
  const final = join(buildDir, installParamsDir);
  const work = `${final}.partial`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work);
  for (const [key, file] of Object.entries(files)) {
    await writeFile(join(work, file), `${text(p[key as keyof InstallParams])}\n`);
  }
  await rm(final, { recursive: true, force: true });
  await rename(work, final);
}

export async function readInstallParams(buildDir: string): Promise<InstallParams> {
  const dir = join(buildDir, installParamsDir);
  if (!existsSync(dir)) throw new Error(`${dir} is missing: run 1-setup-install first`);
  const present = new Set(await readdir(dir));
  const raw: Record<string, string> = {};
  for (const [key, file] of Object.entries(files)) {
    if (!present.has(file)) throw new Error(`${dir}/${file} is missing: run 1-setup-install again`);
    raw[key] = (await readFile(join(dir, file), "utf8")).replace(/\n$/, "");
  }
  const list = (v: string) => v.split("\n").filter(Boolean);
  return {
    ...(raw as unknown as InstallParams),
    virtioPaths: list(raw.virtioPaths!),
    extraInstallers: list(raw.extraInstallers!),
    memoryMb: Number(raw.memoryMb),
    cpus: Number(raw.cpus),
    keyRate: Number(raw.keyRate),
    firstBoot: raw.firstBoot === "yes",
    secureBoot: raw.secureBoot === "yes",
    tpm: raw.tpm === "yes",
    autoActivate: raw.autoActivate === "yes",
  };
}
