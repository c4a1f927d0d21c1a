// What step 2 puts on the answer-file floppy (image-build.md): Autounattend.xml
// and the first-boot answer file made from guest/windows/'s templates with
// this build's parameters, the guest scripts, the protocol's paths as
// wakame-protocol.ps1, and run-sysprep.cmd with the build's extra installers
// and product key in front. Windows reads these files, so their lines end in
// CRLF.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { protocolPowerShell } from "../model/guest-protocol-scripts.js";
import { packageRoot } from "../package-root.js";
import type { InstallParams } from "./install-params.js";
import { partitionLayout, partitionsXml } from "./partition-layout.js";
import { versionName } from "./windows-versions.js";

/** The Administrator password of the installed (not yet sysprepped) Windows: what steps 7 and 11 type. */
export const temporaryPassword = "a:run-sysprep";

/** Guest scripts copied as they are (FinalStepsForInstall.cmd copies them on). */
export const guestScripts = [
  "FinalStepsForInstall.cmd",
  "SetupComplete-install.cmd",
  "SetupComplete-firstboot.cmd",
  "wakame-init-every-boot.cmd",
  "sysprep-for-backup.cmd",
  "wakame-functions.ps1",
  "wakame-init-first-boot.ps1",
  "wakame-init-every-boot.ps1",
] as const;

export const guestWindowsDir = () => join(packageRoot(), "guest", "windows");

const crlf = (text: string) => text.replace(/\r?\n/g, "\r\n");

const xmlText = (value: string) =>
  value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** Fills {{NAME}}s; a name the template has but `values` lacks is a bug, and says so. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`the template names {{${name}}}, which has no value`);
    return value;
  });
}

/** The template values of an answer file for this build. */
export function answerFileValues(p: InstallParams, firstBootPassword: string): Record<string, string> {
  const indent = (n: number) => " ".repeat(n);
  const japanese = p.winLang === "ja-JP";
  const layout = partitionLayout(p);
  return {
    VERSION_NAME: versionName(p.version),
    LANG: p.winLang,
    INPUT_LOCALE: p.winLang,
    // Japanese: the 106/109 keyboard (layered driver 6), as the original.
    LAYERED_DRIVER: japanese ? `${indent(6)}<LayeredDriver>6</LayeredDriver>` : "",
    IMAGE_NAME: xmlText(p.imageName),
    DISK_KIND: p.firmware === "uefi" ? "GPT, for UEFI" : "MBR, for the BIOS",
    PARTITIONS: partitionsXml(layout, 10),
    WINDOWS_PARTITION: String(layout.windows),
    // Windows 11's OOBE would ask for a Microsoft account, a user and a network: the Administrator signs in instead.
    CLIENT_OOBE:
      p.version === "11"
        ? [
            "HideOnlineAccountScreens",
            "HideLocalAccountScreen",
            "HideWirelessSetupInOOBE",
            "HideOEMRegistrationScreen",
          ]
            .map((tag) => `${indent(8)}<${tag}>true</${tag}>`)
            .join("\n")
        : "",
    DRIVER_PATHS: p.virtioPaths
      .map(
        (path, i) =>
          `${indent(8)}<PathAndCredentials wcm:keyValue="${i + 1}" wcm:action="add">\n` +
          `${indent(10)}<Path>${xmlText(path)}</Path>\n` +
          `${indent(8)}</PathAndCredentials>`,
      )
      .join("\n"),
    PRODUCT_KEY:
      p.winKey === "none"
        ? `${indent(8)}<!-- no product key: an evaluation ISO (KEY${p.version}=none) -->`
        : `${indent(8)}<ProductKey>\n${indent(10)}<Key>${p.winKey}</Key>\n${indent(10)}<WillShowUI>OnError</WillShowUI>\n${indent(8)}</ProductKey>`,
    TEMPORARY_PASSWORD: xmlText(temporaryPassword),
    FIRST_BOOT_PASSWORD: xmlText(firstBootPassword),
  };
}

/** run-sysprep.cmd: the extra installers, the product key unless none, then the guest's sysprep lines. */
export function runSysprep(p: InstallParams, base: string): string {
  const lines = ["@echo off", "REM Written by build-dir-utils step 2 for this build."];
  // start /wait: an .msi, or an installer that hands over to another process, is waited for too.
  for (const installer of p.extraInstallers) lines.push(`start "" /wait "A:\\${basename(installer)}"`);
  if (p.winKey !== "none") lines.push(`cscript //b C:\\Windows\\System32\\slmgr.vbs /ipk ${p.winKey}`);
  return `${lines.join("\n")}\n\n${base}`;
}

/** A random password for the first-boot answer file: long, and meeting the complexity rules. */
export function firstBootPassword(): string {
  return `Wk-${randomBytes(15).toString("base64url")}9!`;
}

/** Every file of the floppy, name to bytes (extra installers are copied from resources by the caller). */
export async function floppyFiles(p: InstallParams, firstBootPw: string): Promise<Map<string, Buffer>> {
  const dir = guestWindowsDir();
  const read = (name: string) => readFile(join(dir, name), "utf8");
  const values = answerFileValues(p, firstBootPw);
  const files = new Map<string, Buffer>();
  const text = (name: string, content: string) => files.set(name, Buffer.from(crlf(content)));
  text("Autounattend.xml", fillTemplate(await read("Autounattend.xml.template"), values));
  text(
    "Unattend-for-first-boot.xml",
    fillTemplate(await read("Unattend-for-first-boot.xml.template"), values),
  );
  for (const script of guestScripts) text(script, await read(script));
  text("wakame-protocol.ps1", protocolPowerShell());
  text("run-sysprep.cmd", runSysprep(p, await read("run-sysprep.cmd")));
  return files;
}
