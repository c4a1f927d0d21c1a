// Lays out each Debian package of debian-packages.ts from a built checkout
// (npm run build) and makes it with dpkg-deb into `out`.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmod,
  copyFile,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { changelogFor, conffilesFile, controlFile, maintainerScript, md5sumsFile } from "./control.js";
import { copyrightFile } from "./copyright.js";
import { type DebianPackage, debianPackages } from "./debian-packages.js";
import { bareImports, moduleClis, runtimeModules, shippedModuleFile } from "./runtime-modules.js";

const run = promisify(execFile);

export interface BuildOptions {
  /** The checkout, built. */
  root: string;
  out: string;
  version: string;
  log: (line: string) => void;
}

export async function buildDebianPackages(o: BuildOptions): Promise<string[]> {
  await mkdir(o.out, { recursive: true });
  const made: string[] = [];
  for (const p of debianPackages) made.push(await buildOne(p, o));
  return made;
}

/** Files the package's users run: 0755; everything else 0644. */
const executable = (path: string) =>
  /^usr\/bin\//.test(path) || /^usr\/lib\/wakame-vdc\/[^/]+\/bin\/(?!check-node)[^/]+\.js$/.test(path);

async function buildOne(p: DebianPackage, o: BuildOptions): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), `wakame-deb-${p.name}-`));
  try {
    const partDir = join(stage, "usr/lib/wakame-vdc", p.part);
    const from = (path: string) => join(o.root, path);
    const to = (path: string) => join(stage, path);
    await mkdir(join(partDir, "bin"), { recursive: true });
    await writeFile(
      join(partDir, "package.json"),
      `${JSON.stringify({ name: "wakame-ts", version: o.version, private: true, type: "module" }, null, 2)}\n`,
    );
    await copyFile(from("bin/check-node.js"), join(partDir, "bin/check-node.js"));
    const bare = new Set<string>();
    for (const c of p.commands) {
      await copyFile(from(`bin/${c}.js`), join(partDir, `bin/${c}.js`));
      await cp(from(`dist/bin/${c}`), join(partDir, `dist/bin/${c}`), { recursive: true });
      for (const name of bareImports(await readFile(from(`dist/bin/${c}/main.js`), "utf8"))) bare.add(name);
    }
    for (const folder of p.folders) await cp(from(folder), join(partDir, folder), { recursive: true });
    const modules = runtimeModules(o.root, [...bare]);
    const licences = await moduleLicenses(o.root, modules);
    const clis = new Set(licences.flatMap((m) => moduleClis(m.folder, m.bin)));
    for (const m of modules)
      await cp(from(m), join(partDir, m), {
        recursive: true,
        filter: (src) => src === from(m) || shippedModuleFile(relative(o.root, src), clis),
      });
    await linkCommands(p, stage);
    for (const f of p.conffiles) await install(from(`packaging/deb/${f}`), to(`etc/wakame-vdc/${f}`));
    if (p.service)
      await install(from(`packaging/deb/${p.service.unit}`), to(`lib/systemd/system/${p.service.unit}`));
    const doc = `usr/share/doc/${p.name}`;
    await mkdir(to(doc), { recursive: true });
    await writeFile(to(`${doc}/copyright`), copyrightFile(licences));
    const changelog = changelogFor(
      await readFile(from("packaging/deb/changelog"), "utf8"),
      o.version,
      new Date(),
    );
    await writeFile(to(`${doc}/changelog.gz`), gzipSync(changelog, { level: 9 }));
    for (const d of p.docs) {
      const text = await readFile(from(d));
      // As dh_compress: documents over 4 KiB are compressed.
      const name = d.split("/").at(-1)!;
      if (text.length > 4096) await writeFile(to(`${doc}/${name}.gz`), gzipSync(text, { level: 9 }));
      else await writeFile(to(`${doc}/${name}`), text);
    }
    const overrides = from(`packaging/deb/lintian/${p.name}`);
    if (await exists(overrides)) await install(overrides, to(`usr/share/lintian/overrides/${p.name}`));
    await stripNativeModules(partDir);

    const files = await walk(stage);
    for (const f of files) if (!f.link) await chmod(to(f.path), executable(f.path) ? 0o755 : 0o644);
    const dirs = await walkDirs(stage);
    for (const d of dirs) await chmod(d, 0o755);
    // Installed-Size as dpkg-gencontrol counts it: each file's KiB, rounded up, and one per folder.
    const size = files.reduce((n, f) => n + Math.ceil(f.size / 1024), 0) + dirs.length;
    await mkdir(to("DEBIAN"));
    await writeFile(to("DEBIAN/control"), controlFile(p, o.version, size));
    if (p.conffiles.length > 0) await writeFile(to("DEBIAN/conffiles"), conffilesFile(p));
    const digests = [];
    for (const f of files.filter((f) => !f.link))
      digests.push({
        path: f.path,
        md5: createHash("md5")
          .update(await readFile(to(f.path)))
          .digest("hex"),
      });
    await writeFile(to("DEBIAN/md5sums"), md5sumsFile(digests));
    if (p.service)
      for (const script of ["postinst", "prerm", "postrm"]) {
        const template = await readFile(from(`packaging/deb/service.${script}`), "utf8");
        await writeFile(to(`DEBIAN/${script}`), maintainerScript(template, p, p.service), { mode: 0o755 });
      }
    const deb = join(o.out, `${p.name}_${o.version}_${p.architecture}.deb`);
    await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", stage, deb]);
    o.log(`${deb}: ${modules.length} node modules, ${size} KiB installed`);
    return deb;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** /usr/bin: each command, and the seed's `.sh` spelling of it. vdc-manage works on the service's store. */
async function linkCommands(p: DebianPackage, stage: string): Promise<void> {
  const bin = join(stage, "usr/bin");
  await mkdir(bin, { recursive: true });
  for (const c of p.commands) {
    const target = `/usr/lib/wakame-vdc/${p.part}/bin/${c}.js`;
    if (c === "vdc-manage")
      await writeFile(
        join(bin, c),
        "#!/bin/sh\n# vdc-manage on the store of dcmgr's configuration, as the service (WAKAME_CONFIG= for the environment's).\n" +
          ': "${WAKAME_CONFIG=/etc/wakame-vdc/dcmgr.conf}"\nexport WAKAME_CONFIG\n' +
          `exec ${target} "$@"\n`,
      );
    else await symlink(`../lib/wakame-vdc/${p.part}/bin/${c}.js`, join(bin, c));
  }
  for (const c of p.shAliases) await symlink(c, join(bin, `${c}.sh`));
}

async function install(src: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  await copyFile(src, dest);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Native modules without their symbols, as dh_strip leaves them. */
async function stripNativeModules(dir: string): Promise<void> {
  for (const f of await walk(dir))
    if (f.path.endsWith(".node"))
      await run("strip", [
        "--strip-unneeded",
        "--remove-section=.comment",
        "--remove-section=.note",
        join(dir, f.path),
      ]);
}

/** Each shipped node module's name, version and declared licence, for the copyright file. */
async function moduleLicenses(root: string, modules: readonly string[]) {
  const out = [];
  for (const m of modules) {
    const pkg = JSON.parse(await readFile(join(root, m, "package.json"), "utf8")) as {
      name: string;
      version: string;
      license?: string;
      bin?: string | Record<string, string>;
    };
    out.push({
      folder: m,
      name: pkg.name,
      version: pkg.version,
      license: pkg.license ?? "unknown",
      bin: pkg.bin,
    });
  }
  return out;
}

interface Walked {
  path: string;
  size: number;
  link: boolean;
}

async function walk(top: string, under = ""): Promise<Walked[]> {
  const out: Walked[] = [];
  for (const e of await readdir(join(top, under), { withFileTypes: true })) {
    const path = under ? `${under}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(top, path)));
    else out.push({ path, size: (await lstat(join(top, path))).size, link: e.isSymbolicLink() });
  }
  return out;
}

async function walkDirs(top: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(top, { withFileTypes: true }))
    if (e.isDirectory() && e.name !== "DEBIAN")
      out.push(join(top, e.name), ...(await walkDirs(join(top, e.name))));
  return out;
}
