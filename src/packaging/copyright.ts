// DEBIAN's copyright file, machine-readable (DEP-5): wakame-ts's own licence,
// and each node module a package carries with the licence it declares. Pure.

export interface ModuleLicence {
  folder: string;
  name: string;
  version: string;
  license: string;
}

export function copyrightFile(modules: readonly ModuleLicence[]): string {
  const licences = new Set(modules.map((m) => m.license));
  licences.delete("Apache-2.0");
  return [
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
    "Upstream-Name: wakame-ts",
    "",
    "Files: *",
    "Copyright: 2026 wakame-ts developers",
    "License: Apache-2.0",
    "",
    ...modules.flatMap((m) => [
      `Files: usr/lib/wakame-vdc/*/${m.folder}/*`,
      `Copyright: the authors of ${m.name} ${m.version} (see the licence file in that folder)`,
      `License: ${m.license}`,
      "",
    ]),
    "License: Apache-2.0",
    " On Debian systems, the complete text of the Apache License 2.0 is in",
    " /usr/share/common-licenses/Apache-2.0.",
    ...[...licences]
      .sort()
      .flatMap((l) => [
        "",
        `License: ${l}`,
        ` The text of the ${l} licence is in each module's folder that declares it,`,
        " beside its package.json.",
      ]),
    "",
  ].join("\n");
}
