// Step 1: the build's settings, from windows-image-build.ini and the
// environment (ISOnnnn, KEYnnnn, ...), checked and captured into
// install-params/; and ./resources/ made ready, fetching what is missing.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { shippedConsoleScript } from "../auto/console-scripts.js";
import { resolveSettings } from "../build-settings.js";
import { type InstallParams, writeInstallParams } from "../install-params.js";
import { ensureResources, type Resource } from "../resources.js";
import { versionName, type WindowsVersion, windowsVersions } from "../windows-versions.js";
import type { StepContext } from "./context.js";

export const iniFile = "windows-image-build.ini";
export const resourcesDir = "resources";

/** "UEFI with Secure Boot and a TPM 2.0", "BIOS". */
function hardwareWords(p: InstallParams): string {
  const extras = [p.secureBoot && "Secure Boot", p.tpm && "a TPM 2.0"].filter(Boolean);
  return `${p.firmware === "uefi" ? "UEFI" : "BIOS"}${extras.length > 0 ? ` with ${extras.join(" and ")}` : ""}`;
}

export async function setupInstall(ctx: StepContext): Promise<void> {
  const label = await ctx.value("LABEL");
  if (!(windowsVersions as readonly string[]).includes(label))
    throw new Error(`LABEL is ${label}, not a version this builder knows`);
  const version = label as WindowsVersion;
  const iniPath = join(ctx.workspace, iniFile);
  const ini = existsSync(iniPath) ? { path: iniPath, text: await readFile(iniPath, "utf8") } : undefined;
  ctx.say(
    ini ? `settings from ${iniPath} and the environment` : `no ${iniPath}: defaults and the environment`,
  );
  const s = resolveSettings(version, ini, ctx.env);
  const get = (name: string) => s.get(name)!;
  const resources = join(ctx.workspace, resourcesDir);
  const extra = get("EXTRA_INSTALLERS").split(/\s+/).filter(Boolean);
  const needed: Resource[] = [
    {
      file: get(`ISO${version}`),
      what: `the ${versionName(version)} installation ISO`,
      whereToGet: "Microsoft (the Evaluation Center has trial ISOs: https://www.microsoft.com/evalcenter)",
    },
    {
      file: get("VIRTIOISO"),
      what: "the virtio driver ISO",
      whereToGet: "https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/archive-virtio/",
    },
    ...extra.map((file) => ({
      file,
      what: "an extra installer of EXTRA_INSTALLERS",
      whereToGet: "its vendor",
    })),
  ];
  await ensureResources(resources, needed, get("RESOURCES"), ctx.say);
  const lang = get("WINLANG") as InstallParams["winLang"];
  const params: InstallParams = {
    version,
    winIso: join(resources, get(`ISO${version}`)),
    winKey: get(`KEY${version}`),
    ansFile: `Autounattend-${version}-${lang}.xml`,
    winLang: lang,
    imageName: get("IMAGENAME"),
    virtioIso: join(resources, get("VIRTIOISO")),
    virtioPaths: get("VIRTIOPATHS").split(";").filter(Boolean),
    extraInstallers: extra.map((f) => join(resources, f)),
    imageSize: get("IMAGESIZE"),
    installMac: get("INSTALLMAC"),
    bootMac: get("BOOTMAC"),
    installDate: get("INSTALLDATE"),
    accel: get("ACCEL") as InstallParams["accel"],
    memoryMb: Number(get("MEMORY")),
    cpus: Number(get("CPUS")),
    firmware: get("FIRMWARE") as InstallParams["firmware"],
    secureBoot: get("SECUREBOOT") === "yes",
    tpm: get("TPM") === "yes",
    ovmfVars: get("OVMF_VARS"),
    ipv4: get("IPV4"),
    netmask: get("NETMASK"),
    gateway: get("GATEWAY"),
    firstBoot: get("FIRSTBOOT") === "yes",
    autoActivate: get("AUTOACTIVATE") === "yes",
    proxy: get("PROXY"),
    needlesDir: resolve(ctx.workspace, get("NEEDLES_DIR") || join("needles", `${version}-${lang}`)),
    consoleScript: get("CONSOLE_SCRIPT")
      ? resolve(ctx.workspace, get("CONSOLE_SCRIPT"))
      : shippedConsoleScript(version, lang),
    keyRate: Number(get("KEYRATE")),
  };
  await writeInstallParams(ctx.dir, params);
  ctx.say(
    `install-params/ written: ${params.imageName}, ${lang}, key ${params.winKey === "none" ? "none" : "given"}, disk ${params.imageSize}, ${hardwareWords(params)}`,
  );
}
