// Runs the Windows guest scripts for real, under PowerShell 7 (installed into
// .tools/pwsh by scripts/setup.sh), in strict mode 2.0: the scripts as the
// builder's floppy holds them, dot-sourced, then test/fixtures/windows-effects.ps1
// in place of the Windows effects (recording each call), then one entry call.
// The metadata drive is the host agent's own, written by its code and read
// back as a tree, as Windows sees the mounted volume.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mtool } from "../../src/fat/mtools.js";
import { metadataVolume, writeMetadataDrive } from "../../src/hva/metadata-drive.js";
import { floppyFiles } from "../../src/imagebuild/floppy-content.js";
import { type MetadataContent, metadataPaths } from "../../src/model/guest-protocol.js";
import { run } from "./cli.js";
import { installParams } from "./install-params.js";
import { repoRoot, tempDir } from "./paths.js";

/** The PowerShell of this checkout, or null when the set-up could not install one (no dotnet). */
export const pwshPath: string | null = [join(repoRoot, ".tools", "pwsh", "pwsh")].find(existsSync) ?? null;

/** Every file a run makes goes under one folder, removed by `removeGuestFiles`. */
let work = "";
/** A new folder for one use (a key, a drive, a hosts file). */
export function guestTempDir(use: string): string {
  if (!work) work = tempDir("win");
  return mkdtempSync(join(work, `${use}-`));
}

export function removeGuestFiles(): void {
  if (work) rmSync(work, { recursive: true, force: true });
  work = "";
}

/** For node:test's `skip`: why this suite cannot run here, or false. */
export const withoutPwsh: string | false = pwshPath
  ? false
  : "no PowerShell in .tools/pwsh: scripts/setup.sh installs it where the .NET SDK (dotnet) is";

export interface EffectsConfig {
  volumeRoot?: string | null;
  macs?: string[];
  hostsFile?: string;
  passwordFailures?: number;
  /** The exit status sysprep-for-backup.cmd gives (0: sysprep powers the machine off). */
  sysprepStatus?: number;
}

export interface EffectCall {
  effect: string;
  args: unknown[];
}

export interface GuestRun {
  code: number;
  /** Every line the run printed. */
  output: string[];
  /** The scripts' log lines, without their time stamps. */
  log: string[];
  effects: EffectCall[];
  /** PowerShell's errors: empty when nothing failed unhandled. */
  stderr: string;
}

/** The scripts folder as Windows has it after FinalStepsForInstall.cmd: the floppy's files. */
export async function guestScriptsFolder(): Promise<string> {
  const dir = guestTempDir("scripts");
  const files = await floppyFiles(installParams("2019", "en-US", "none"), "Wk-first-boot-9!");
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  return dir;
}

/** Runs `call` after the scripts and the effect stand-ins are loaded. */
export async function runGuest(
  scripts: string,
  call: string,
  effects: EffectsConfig = {},
): Promise<GuestRun> {
  if (!pwshPath) throw new Error(withoutPwsh || "no pwsh");
  const file = join(guestTempDir("run"), "run.ps1");
  const quote = (path: string) => `'${path.replaceAll("'", "''")}'`;
  await writeFile(
    file,
    [
      "Set-StrictMode -Version 2.0",
      `. ${quote(join(scripts, "wakame-functions.ps1"))}`,
      `. ${quote(join(repoRoot, "test", "fixtures", "windows-effects.ps1"))}`,
      call,
      "Write-Effects",
      "",
    ].join("\n"),
  );
  const config = {
    volumeRoot: null,
    macs: [],
    hostsFile: "",
    passwordFailures: 0,
    sysprepStatus: 0,
    ...effects,
  };
  const r = await run(pwshPath, ["-NoProfile", "-NonInteractive", "-File", file], {
    ...process.env,
    WAKAME_EFFECTS: JSON.stringify(config),
    NO_COLOR: "1",
  });
  const lines = r.stdout.split(/\r?\n/);
  const effectsLine = lines.find((l) => l.startsWith("EFFECTS "));
  return {
    code: r.code,
    output: lines,
    log: lines.filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /.test(l)).map((l) => l.slice(20)),
    effects: effectsLine ? (JSON.parse(effectsLine.slice(8)) as EffectCall[]) : [],
    stderr: r.stderr + (effectsLine ? "" : `(no EFFECTS line; stdout was: ${r.stdout})`),
  };
}

export interface MetadataTree {
  /** The drive image the host agent wrote. */
  drive: string;
  /** The drive's files as a folder ending in "/": what the scripts get as the root. */
  root: string;
}

/**
 * The host agent's metadata drive for `content`, and its files as Windows would see them;
 * `change` is what the host agent does to the drive after writing it (a flag it puts).
 */
export async function metadataTree(
  content: MetadataContent,
  change: (drive: string) => Promise<void> = async () => {},
): Promise<MetadataTree> {
  const dir = guestTempDir("drive");
  const drive = join(dir, "metadata.img");
  await writeMetadataDrive(drive, content);
  await change(drive);
  const root = join(dir, "volume");
  await mkdir(root);
  await mtool("mcopy", ["-s", "-n", "-i", metadataVolume(drive), "::/meta-data", root]);
  return { drive, root: `${root}/` };
}

/** What Windows wrote to pw.enc on the volume, put on the drive the host agent will read. */
export async function syncPwEnc(tree: MetadataTree): Promise<void> {
  const local = join(tree.root, metadataPaths.encryptedPassword);
  if (!existsSync(local)) return;
  await writeFile(`${tree.drive}.pw`, await readFile(local));
  await mtool("mcopy", [
    "-o",
    "-i",
    metadataVolume(tree.drive),
    `${tree.drive}.pw`,
    `::${metadataPaths.encryptedPassword}`,
  ]);
}
