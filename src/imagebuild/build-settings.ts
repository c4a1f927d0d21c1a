// The settings of a seed-image build (image-build.md, step 1): what
// windows-image-build.ini may say, their documented defaults per Windows
// version, and the checks on their values. The environment overrides the
// file, the file overrides the defaults. Pure: reading the file and the
// environment is the caller's job.

import { ipv4Problem } from "../model/ipv4.js";
import { parseKeyValueLines } from "../model/key-value-file.js";
import { hardwareProblems, uefiByDefault, versionName, type WindowsVersion } from "./windows-versions.js";

export const windowsLanguages = ["ja-JP", "en-US"] as const;

/** Steps 12 to 23 are the extra installers', one each (the original's Zabbix agent dialogs). */
export const maxExtraInstallers = 12;

export interface Setting {
  name: string;
  /** The default for a version; undefined: must be given. */
  default: (version: WindowsVersion) => string | undefined;
  /** One line for the documentation and for messages. */
  meaning: string;
  /** What is wrong with a value, or undefined when it is good. */
  check?: (value: string) => string | undefined;
}

/** The original's defaults were made for the Japanese 2008 R2 and 2012 R2 trial ISOs. */
const original = (version: WindowsVersion) => version === "2008" || version === "2012";

const mac = (v: string) =>
  /^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/i.test(v) ? undefined : "write a MAC with dashes, e.g. 52-54-00-11-a0-5b";
const ipv4 = (v: string) => (ipv4Problem(v) ? "write an IPv4 address, e.g. 10.0.2.15" : undefined);
const yesNo = (v: string) => (v === "" || v === "yes" ? undefined : "write yes, or leave it empty for no");
const count = (max: number) => (v: string) =>
  /^[1-9]\d*$/.test(v) && Number(v) <= max ? undefined : `write a whole number from 1 to ${max}`;
const fileName = (v: string) =>
  v && !v.includes("/") ? undefined : "write a file name of ./resources/, without a directory";

/** The virtio-win driver directories Windows setup searches, per version (drive E: is the virtio ISO). */
function virtioPaths(version: WindowsVersion): string {
  if (version === "2008") return "E:\\WLH\\AMD64;E:\\VISTA\\AMD64";
  if (version === "2012") return "E:\\WIN8\\AMD64";
  const dir = version === "11" ? "w11" : `2k${version.slice(2)}`;
  return ["viostor", "NetKVM", "vioscsi"].map((d) => `E:\\${d}\\${dir}\\amd64`).join(";");
}

export const settings: readonly Setting[] = [
  {
    name: "WINLANG",
    default: (v) => (original(v) ? "ja-JP" : "en-US"),
    meaning: "language and keyboard of the ISO and of the installed Windows: ja-JP or en-US",
    check: (v) => ((windowsLanguages as readonly string[]).includes(v) ? undefined : "write ja-JP or en-US"),
  },
  {
    name: "IMAGENAME",
    default: (v) => (v === "11" ? "Windows 11 Pro" : `${versionName(v)} SERVERSTANDARD`),
    meaning: "the edition to install, as the ISO's install.wim names it (/IMAGE/NAME)",
    check: (v) => (v && !/[<>&]/.test(v) ? undefined : "write an edition name without < > &"),
  },
  {
    name: "VIRTIOISO",
    default: (v) => (original(v) ? "virtio-win-0.1-74.iso" : "virtio-win-0.1.262.iso"),
    meaning: "the virtio driver ISO in ./resources/",
    check: fileName,
  },
  {
    name: "VIRTIOPATHS",
    default: virtioPaths,
    meaning: "where setup finds the virtio drivers on that ISO, ';' between paths",
    check: (v) => (/^[A-Z]:\\[^<>&]*$/.test(v) ? undefined : "write Windows paths such as E:\\WIN8\\AMD64"),
  },
  {
    name: "EXTRA_INSTALLERS",
    default: () => "",
    meaning:
      "installers in ./resources/ that run before sysprep (the original's Zabbix agent), space between names",
    check: (v) => {
      const names = v.split(/\s+/).filter(Boolean);
      if (names.length > maxExtraInstallers) return `name at most ${maxExtraInstallers} installers`;
      return names.every((n) => !fileName(n)) ? undefined : fileName("");
    },
  },
  {
    name: "IMAGESIZE",
    default: (v) => (v === "11" ? "64G" : v === "2025" ? "40G" : "30G"),
    meaning: "size of the blank disk Windows is installed on, as qemu-img takes it",
    check: (v) => (/^[1-9]\d*[MGT]$/.test(v) ? undefined : "write a size such as 30G, 40960M or 1T"),
  },
  {
    name: "INSTALLMAC",
    default: () => "52-54-00-11-a0-5b",
    meaning: "MAC of the VM that installs",
    check: mac,
  },
  {
    name: "BOOTMAC",
    default: () => "52-54-00-11-a0-5b",
    meaning: "MAC of the first-boot test VM",
    check: mac,
  },
  {
    name: "INSTALLDATE",
    default: () => "2014-04-01",
    meaning: "the VM's clock at install (QEMU -rtc base), or now",
    check: (v) =>
      v === "now" || /^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d)?$/.test(v)
        ? undefined
        : "write a date such as 2014-04-01 or 2014-04-01T09:00:00, or now",
  },
  {
    name: "ACCEL",
    default: () => "auto",
    meaning: "accelerator of the build's VMs: auto (KVM when a probe boots under it), kvm or tcg",
    check: (v) => (["auto", "kvm", "tcg"].includes(v) ? undefined : "write auto, kvm or tcg"),
  },
  {
    name: "MEMORY",
    default: (v) => (v === "11" ? "4096" : "2048"),
    meaning: "MiB of memory for the build's VMs",
    check: count(65536),
  },
  { name: "CPUS", default: () => "2", meaning: "virtual CPUs for the build's VMs", check: count(64) },
  {
    name: "FIRMWARE",
    default: (v) => (uefiByDefault(v) ? "uefi" : "bios"),
    meaning:
      "firmware of the build's VMs and of the image: uefi (OVMF, a GPT disk) or bios (SeaBIOS, an MBR disk)",
    check: (v) => (v === "uefi" || v === "bios" ? undefined : "write uefi or bios"),
  },
  {
    name: "SECUREBOOT",
    default: (v) => (uefiByDefault(v) ? "yes" : ""),
    meaning: "UEFI builds: install under Secure Boot, and the image boots under it (yes, or empty)",
    check: yesNo,
  },
  {
    name: "TPM",
    default: (v) => (uefiByDefault(v) ? "yes" : ""),
    meaning: "give the build's VMs a TPM 2.0 (swtpm), and the image its own at every launch (yes, or empty)",
    check: yesNo,
  },
  {
    name: "OVMF_VARS",
    default: () => "",
    meaning:
      "Secure Boot builds: the variable store the build's VMs start from, default Debian's OVMF_VARS_4M.ms.fd (Microsoft's 2011 keys); for media signed under the 2023 CAs, the host agent's $WAKAME_HOME/secure-boot/OVMF_VARS_4M.enrolled.fd",
    check: (v) => (v === "" || v.startsWith("/") ? undefined : "write the variable store's absolute path"),
  },
  {
    name: "IPV4",
    default: () => "10.0.2.15",
    meaning: "first-boot test: the instance's address",
    check: ipv4,
  },
  { name: "NETMASK", default: () => "255.255.255.0", meaning: "first-boot test: its netmask", check: ipv4 },
  { name: "GATEWAY", default: () => "10.0.2.2", meaning: "first-boot test: its gateway", check: ipv4 },
  {
    name: "FIRSTBOOT",
    default: () => "yes",
    meaning: "first-boot test: put meta-data/first-boot on the metadata drive (yes, or empty)",
    check: yesNo,
  },
  {
    name: "AUTOACTIVATE",
    default: () => "",
    meaning: "first-boot test: ask for activation, meta-data/auto-activate (yes, or empty)",
    check: yesNo,
  },
  {
    name: "PROXY",
    default: () => "",
    meaning: "first-boot test: IP:PORT of the activation proxy",
    check: (v) =>
      v === "" || /^[\w.-]+:\d{1,5}$/.test(v) ? undefined : "write IP:PORT, e.g. 192.0.2.8:3128",
  },
  {
    name: "NEEDLES_DIR",
    default: () => "",
    meaning:
      "automatic builds: the directory of needles (openQA's NAME.json + NAME.png), default needles/VERSION-WINLANG here",
    check: (v) => (/^[^\n]*$/.test(v) ? undefined : "write a directory path"),
  },
  {
    name: "CONSOLE_SCRIPT",
    default: () => "",
    meaning:
      "automatic builds: the console script of the manual steps, default the one shipped for the version and WINLANG",
    check: (v) => (v === "" || v.endsWith(".yaml") ? undefined : "write the path of a .yaml console script"),
  },
  {
    name: "KEYRATE",
    default: () => "40",
    meaning:
      "automatic builds: keys a second typed on the console (bench/typing.ts measures the fastest that loses none)",
    check: count(1000),
  },
  {
    name: "RESOURCES",
    default: () => "",
    meaning:
      "base URL (http, https, or an S3-style bucket URL) that missing files of ./resources/ are fetched from",
    check: (v) => (v === "" || /^https?:\/\/\S+$/.test(v) ? undefined : "write an http:// or https:// URL"),
  },
];

/** ISOnnnn and KEYnnnn: given by the user, no defaults. */
export function versionSettings(version: WindowsVersion): Setting[] {
  return [
    {
      name: `ISO${version}`,
      default: () => undefined,
      meaning: `the ${versionName(version)} installation ISO in ./resources/`,
      check: fileName,
    },
    {
      name: `KEY${version}`,
      default: () => undefined,
      meaning: "the product key, for the answer file and the sysprep script (slmgr /ipk), or none",
      check: (v) =>
        v === "none" || /^([0-9A-Z]{5}-){4}[0-9A-Z]{5}$/.test(v)
          ? undefined
          : "write the key as XXXXX-XXXXX-XXXXX-XXXXX-XXXXX, or none for an evaluation ISO",
    },
  ];
}

export class SettingError extends Error {}

/**
 * The build's settings: defaults, then the file's lines, then the
 * environment. Every problem is found before any is reported, so one run
 * shows the user everything to fix.
 */
export function resolveSettings(
  version: WindowsVersion,
  ini: { text: string; path: string } | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const all = [...versionSettings(version), ...settings];
  const problems: string[] = [];
  const fromFile = new Map<string, string>();
  if (ini) {
    const lines = parseKeyValueLines(ini.text, "IMAGESIZE=30G", (err) =>
      problems.push(`${ini.path} ${err.message}`),
    );
    for (const { name, value, line } of lines) {
      if (all.some((s) => s.name === name) || /^(ISO|KEY)\d{4}$/.test(name)) fromFile.set(name, value);
      else
        problems.push(
          `${ini.path} line ${line}: unknown setting ${name}; known: ${all.map((s) => s.name).join(", ")}`,
        );
    }
  }
  const values = new Map<string, string>();
  for (const s of all) {
    const value = env[s.name] ?? fromFile.get(s.name) ?? s.default(version);
    const where =
      env[s.name] !== undefined ? "the environment" : fromFile.has(s.name) ? ini?.path : "default";
    if (value === undefined) {
      problems.push(
        `${s.name} is not set (${s.meaning}): do 'export ${s.name}=${s.name.startsWith("KEY") ? "none" : "FILE.iso"}' or write it in windows-image-build.ini`,
      );
      continue;
    }
    const wrong = s.check?.(value);
    if (wrong) problems.push(`${s.name}=${value} (from ${where}) is refused: ${wrong}`);
    else values.set(s.name, value);
  }
  if (problems.length === 0) {
    const get = (name: string) => values.get(name)!;
    problems.push(
      ...hardwareProblems(version, {
        memoryMb: Number(get("MEMORY")),
        cpus: Number(get("CPUS")),
        imageSize: get("IMAGESIZE"),
        firmware: get("FIRMWARE") as "bios" | "uefi",
        secureBoot: get("SECUREBOOT") === "yes",
        tpm: get("TPM") === "yes",
      }),
    );
  }
  if (problems.length > 0) throw new SettingError(problems.join("\n"));
  return values;
}

/** The documented ini file: every setting with its meaning and its default for a version. */
export function defaultIni(version: WindowsVersion): string {
  const lines = [
    "# windows-image-build.ini: the settings of seed-image builds, read by",
    "# 'build-dir-utils BUILDDIR 1-setup-install' from the directory it runs in.",
    "# One NAME=value a line; the environment overrides this file. Defaults shown",
    `# are those of ${versionName(version)}; ISOnnnn and KEYnnnn must be set.`,
    "",
  ];
  for (const s of [...versionSettings(version), ...settings]) {
    lines.push(`# ${s.meaning}`);
    lines.push(`#${s.name}=${s.default(version) ?? ""}`);
  }
  return `${lines.join("\n")}\n`;
}
