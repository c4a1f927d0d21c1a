// The control files of a Debian package, as text. Pure.
import type { DebianPackage, ServiceSettings } from "./debian-packages.js";
import { nodeDependency, stateDir } from "./debian-packages.js";

export const maintainer = "wakame-ts developers <wakame-ts@lists.example.org>";
export const sourceName = "wakame-ts";

/** A Debian version a project version can be: digits, dots, and + ~ . for snapshots. */
export function checkVersion(version: string): string {
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version))
    throw new Error(
      `'${version}' is not a Debian version: use digits and dots, as 0.1.0 (or 0.1.0+git20261202)`,
    );
  return version;
}

/** DEBIAN/control. `installedKiB` is the unpacked size. */
export function controlFile(p: DebianPackage, version: string, installedKiB: number): string {
  const description = p.description
    .split("\n")
    .map((line) => (line.trim() === "" ? " ." : ` ${line}`))
    .join("\n");
  return `${[
    `Package: ${p.name}`,
    `Source: ${sourceName}`,
    `Version: ${checkVersion(version)}`,
    `Architecture: ${p.architecture}`,
    `Maintainer: ${maintainer}`,
    `Installed-Size: ${installedKiB}`,
    `Depends: ${[nodeDependency, ...p.depends].join(", ")}`,
    `Section: ${p.section}`,
    "Priority: optional",
    `Description: ${p.summary}`,
    description,
  ].join("\n")}\n`;
}

/** DEBIAN/conffiles. */
export const conffilesFile = (p: DebianPackage) => p.conffiles.map((f) => `/etc/wakame-vdc/${f}\n`).join("");

/** DEBIAN/md5sums: each file's digest and its path without the leading `/`. */
export const md5sumsFile = (digests: readonly { path: string; md5: string }[]) =>
  digests.map((d) => `${d.md5}  ${d.path.replace(/^\//, "")}\n`).join("");

/** A maintainer-script template of packaging/deb/ filled in for one service. */
export function maintainerScript(template: string, p: DebianPackage, s: ServiceSettings): string {
  const values: Record<string, string> = {
    PACKAGE: p.name,
    UNIT: s.unit,
    CONF: s.privateConf,
    GROUPS: s.groups.join(" "),
    SYSTEM_USERS: s.systemUsers.join(" "),
    TLS_PAIR: s.tlsPair ?? "",
    STATE_DIRS: s.stateDirs.map((f) => `${stateDir}/${f}`).join(" "),
    PURGED: [
      ...[...s.stateDirs, ...s.stateFiles].map((f) => `${stateDir}/${f}`),
      ...s.secrets.map((f) => `/etc/wakame-vdc/${f}`),
    ].join(" "),
  };
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`a maintainer script names ${whole}, which is not known`);
    return value;
  });
}

/**
 * packaging/deb/changelog for a package of `version`: as written when its top
 * entry is that version, else with a snapshot entry on top (a snapshot build,
 * `--version 0.1.0+git20261202`). Pure.
 */
export function changelogFor(changelog: string, version: string, date: Date): string {
  const top = /^\S+ \(([^)]+)\)/.exec(changelog)?.[1];
  if (top === undefined)
    throw new Error("packaging/deb/changelog does not start with an entry: 'wakame-ts (0.1.0) ...'");
  if (top === version) return changelog;
  const when = date.toUTCString().replace("GMT", "+0000");
  return `${sourceName} (${checkVersion(version)}) unstable; urgency=medium\n\n  * Snapshot build after ${top}.\n\n -- ${maintainer}  ${when}\n\n${changelog}`;
}
