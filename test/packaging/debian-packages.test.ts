// The Debian packages: what decides their content (pure), then the packages
// themselves, built from this checkout's dist/ by the same code as
// `npm run package:deb`, read back with dpkg-deb and checked with lintian.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildDebianPackages } from "../../src/packaging/build-deb.js";
import { changelogFor, checkVersion, controlFile, maintainerScript } from "../../src/packaging/control.js";
import { debianPackages } from "../../src/packaging/debian-packages.js";
import { bareImports, moduleClis, shippedModuleFile } from "../../src/packaging/runtime-modules.js";
import { nodeDebFromBinary } from "../helpers/debian-root.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

describe("what goes into the packages", () => {
  test("a bundle's bare imports, not builtins, relative paths or import-like text", () => {
    const bundle = [
      'import Fastify from "fastify";',
      'import { x } from "@fastify/static/lib/y.js";',
      'import "ws";',
      'import { readFile } from "node:fs";',
      'import { a } from "./chunk.js";',
      'const db = await import("better-sqlite3");',
      'const text = "import me from the shop";',
      "  import { Pool } from 'pg';",
    ].join("\n");
    assert.deepEqual(bareImports(bundle), ["@fastify/static", "better-sqlite3", "fastify", "pg", "ws"]);
  });

  const files: [string, boolean][] = [
    ["node_modules/fastify/fastify.js", true],
    ["node_modules/fastify/lib/route.js", true],
    ["node_modules/fastify/LICENSE", true],
    ["node_modules/fastify/README.md", false],
    ["node_modules/fastify/types/index.d.ts", false],
    ["node_modules/fastify/test/hooks.test.js", false],
    ["node_modules/fastify/integration/test.sh", false],
    ["node_modules/fastify/docs", false],
    ["node_modules/yaml/dist/doc/directives.js", true],
    ["node_modules/@fastify/static/test/static.test.js", false],
    ["node_modules/@fastify/static/lib/dirs.js", true],
    ["node_modules/pino/index.html", false],
    ["node_modules/semver/bin/semver.js", false],
    ["node_modules/ws/.npmignore", false],
    ["node_modules/better-sqlite3/lib/database.js", true],
    ["node_modules/better-sqlite3/build", true],
    ["node_modules/better-sqlite3/build/Release", true],
    ["node_modules/better-sqlite3/build/Release/better_sqlite3.node", true],
    ["node_modules/better-sqlite3/build/Release/test_extension.node", false],
    ["node_modules/better-sqlite3/build/Release/obj", false],
    ["node_modules/better-sqlite3/deps/sqlite3/sqlite3.c", false],
    ["node_modules/better-sqlite3/src/better_sqlite3.cpp", false],
  ];
  const clis = new Set(moduleClis("node_modules/semver", { semver: "./bin/semver.js" }));
  for (const [path, shipped] of files)
    test(`${path}: ${shipped ? "shipped" : "left out"}`, () =>
      assert.equal(shippedModuleFile(path, clis), shipped));

  test("the control file names Node.js 20 and folds the description", () => {
    const hva = debianPackages.find((p) => p.name === "wakame-vdc-hva-kvm")!;
    const text = controlFile(hva, "0.1.0", 290);
    assert.match(
      text,
      /^Package: wakame-vdc-hva-kvm\nSource: wakame-ts\nVersion: 0\.1\.0\nArchitecture: all\n/,
    );
    assert.match(
      text,
      /\nDepends: nodejs \(>= 20\), adduser, .*qemu-system-x86, qemu-utils, mtools, passt, iproute2, nftables, conntrack, dnsmasq-base\n/,
    );
    assert.match(text, /\nInstalled-Size: 290\n/);
    assert.match(text, /\nDescription: Wakame-vdc host agent \(hva\) for KVM\n Runs the instances/);
    assert.ok(text.endsWith("adopts them when it starts.\n"));
  });

  test("a snapshot's changelog has its own entry on top; the release's is as written", () => {
    const written =
      "wakame-ts (0.1.0) unstable; urgency=medium\n\n  * First.\n\n -- x <x@y>  Wed, 02 Dec 2026 12:00:00 +0000\n";
    assert.equal(changelogFor(written, "0.1.0", new Date()), written);
    const snapshot = changelogFor(written, "0.1.0+git1", new Date("2026-12-03T10:00:00Z"));
    assert.match(
      snapshot,
      /^wakame-ts \(0\.1\.0\+git1\) unstable; urgency=medium\n\n {2}\* Snapshot build after 0\.1\.0\.\n\n -- .* {2}Thu, 03 Dec 2026 10:00:00 \+0000\n\nwakame-ts \(0\.1\.0\)/,
    );
    assert.throws(() => changelogFor("", "0.1.0", new Date()), /does not start with an entry/);
  });

  test("versions Debian cannot take are refused with an example", () => {
    assert.equal(checkVersion("0.1.0+git20261202"), "0.1.0+git20261202");
    assert.throws(
      () => checkVersion("v0.1"),
      /'v0.1' is not a Debian version: use digits and dots, as 0.1.0/,
    );
    assert.throws(() => checkVersion("0.1 0"), /not a Debian version/);
  });

  test("maintainer scripts are filled in for each service, and an unknown placeholder is an error", () => {
    const hva = debianPackages.find((p) => p.name === "wakame-vdc-hva-kvm")!;
    const filled = maintainerScript("rm -rf @PURGED@; for g in @GROUPS@; start '@UNIT@'", hva, hva.service!);
    assert.equal(
      filled,
      "rm -rf /var/lib/wakame-vdc/instances /var/lib/wakame-vdc/image-cache /var/lib/wakame-vdc/networks /var/lib/wakame-vdc/kvm-probe.json /etc/wakame-vdc/hva.token; for g in kvm; start 'wakame-vdc-hva.service'",
    );
    assert.throws(() => maintainerScript("@NOPE@", hva, hva.service!), /names @NOPE@, which is not known/);
  });
});

describe("the packages, built", () => {
  const out = tempDir("deb");
  let debs: string[] = [];
  before(async () => {
    mkdirSync(out, { recursive: true });
    debs = await buildDebianPackages({ root: repoRoot, out, version: "0.1.0", log: () => {} });
  });
  after(() => rmSync(out, { recursive: true, force: true }));
  const deb = (name: string) => debs.find((d) => d.includes(`/${name}_`))!;
  const info = (name: string, field: string) =>
    execFileSync("dpkg-deb", ["--field", deb(name), field], { encoding: "utf8" }).trim();
  const contents = (name: string) =>
    execFileSync("dpkg-deb", ["--contents", deb(name)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [mode, owner, , , , ...rest] = line.split(/\s+/);
        const [path, link] = rest.join(" ").replace(/^\./, "").split(" -> ");
        return { mode: mode!, owner: owner!, path: path!, link };
      });
  const paths = (name: string) => contents(name).map((c) => c.path);

  test("four packages, named after the original's, at the project's version", () => {
    assert.deepEqual(
      debs.map((d) => d.split("/").at(-1)),
      [
        "wakame-vdc-dcmgr_0.1.0_amd64.deb",
        "wakame-vdc-hva-kvm_0.1.0_all.deb",
        "wakame-vdc-client-mussel_0.1.0_all.deb",
        "wakame-vdc-image-builder_0.1.0_all.deb",
      ],
    );
    for (const name of ["wakame-vdc-dcmgr", "wakame-vdc-client-mussel"]) {
      assert.equal(info(name, "Version"), "0.1.0");
      assert.match(info(name, "Depends"), /^nodejs \(>= 20\)/);
    }
  });

  test("each carries its commands, their .sh spellings, its units and configuration, all root's", () => {
    const dcmgr = paths("wakame-vdc-dcmgr");
    for (const p of [
      "/usr/bin/dcmgr",
      "/usr/bin/vdc-manage",
      "/usr/lib/wakame-vdc/dcmgr/dist/bin/dcmgr/main.js",
      "/usr/lib/wakame-vdc/dcmgr/dist/gui/index.html",
      "/usr/lib/wakame-vdc/dcmgr/node_modules/fastify/package.json",
      "/usr/lib/wakame-vdc/dcmgr/node_modules/better-sqlite3/build/Release/better_sqlite3.node",
      "/lib/systemd/system/wakame-vdc-dcmgr.service",
      "/etc/wakame-vdc/dcmgr.conf",
      "/usr/share/doc/wakame-vdc-dcmgr/copyright",
      "/usr/share/doc/wakame-vdc-dcmgr/install.md.gz",
    ])
      assert.ok(dcmgr.includes(p), `wakame-vdc-dcmgr has ${p}`);
    assert.ok(
      !dcmgr.some(
        (p) =>
          p.includes("/usr/bin/hva") ||
          /node_modules\/.*\/(README|CHANGELOG)[^/]*$/i.test(p) ||
          p.includes("/deps/"),
      ),
    );
    const hva = paths("wakame-vdc-hva-kvm");
    assert.ok(
      hva.includes("/lib/systemd/system/wakame-vdc-hva.service") && hva.includes("/etc/wakame-vdc/hva.conf"),
    );
    assert.ok(!hva.some((p) => p.includes("better-sqlite3") || p.includes("fastify")), "hva talks HTTP only");
    const builder = paths("wakame-vdc-image-builder");
    assert.ok(builder.includes("/usr/lib/wakame-vdc/image-builder/guest/windows/wakame-init-first-boot.ps1"));
    const links = Object.fromEntries(contents("wakame-vdc-image-builder").map((c) => [c.path, c.link]));
    assert.equal(links["/usr/bin/build-dir-utils.sh"], "build-dir-utils");
    assert.equal(links["/usr/bin/auto-windows-image-build.sh"], "auto-windows-image-build");
    assert.equal(links["/usr/bin/needle"], "../lib/wakame-vdc/image-builder/bin/needle.js");
    assert.ok(paths("wakame-vdc-client-mussel").includes("/etc/wakame-vdc/musselrc"));
    for (const name of debs.map((d) => d.split("/").at(-1)!.split("_")[0]!))
      assert.deepEqual([...new Set(contents(name).map((c) => c.owner))], ["root/root"], name);
  });

  test("configuration files are conffiles; the services have maintainer scripts", () => {
    const control = (name: string, file: string) =>
      execFileSync("dpkg-deb", ["--info", deb(name), file], { encoding: "utf8" });
    assert.equal(control("wakame-vdc-dcmgr", "conffiles"), "/etc/wakame-vdc/dcmgr.conf\n");
    assert.equal(control("wakame-vdc-hva-kvm", "conffiles"), "/etc/wakame-vdc/hva.conf\n");
    assert.equal(control("wakame-vdc-client-mussel", "conffiles"), "/etc/wakame-vdc/musselrc\n");
    assert.match(
      control("wakame-vdc-hva-kvm", "postinst"),
      /deb-systemd-helper enable 'wakame-vdc-hva.service'/,
    );
    assert.match(control("wakame-vdc-dcmgr", "postrm"), /rm -rf \/var\/lib\/wakame-vdc\/images /);
  });

  test("lintian finds nothing to warn about", (t) => {
    let report: string;
    try {
      report = execFileSync("lintian", ["--tag-display-limit", "0", ...debs], {
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (err) {
      const e = err as { code?: string; stdout?: string };
      if (e.code === "ENOENT") return t.skip("lintian is not installed (scripts/setup.sh installs it)");
      report = e.stdout ?? "";
    }
    assert.deepEqual(
      report.split("\n").filter((l) => /^[EW]: /.test(l)),
      [],
    );
  });
});

test("where Node.js came from a tarball, the package tests make its nodejs package from the running node", () => {
  const out = tempDir("node-deb");
  try {
    const deb = nodeDebFromBinary(process.execPath, process.versions.node, out);
    const field = (f: string) => execFileSync("dpkg-deb", ["--field", deb, f], { encoding: "utf8" }).trim();
    assert.equal(field("Package"), "nodejs");
    assert.equal(field("Version"), `${process.versions.node}-1wakame`, "apt takes it for nodejs (>= 20)");
    const contents = execFileSync("dpkg-deb", ["--contents", deb], { encoding: "utf8" });
    assert.match(contents, /^-rwxr-xr-x root\/root .* \.\/usr\/bin\/node$/m);
    // What it holds is the running node itself.
    const unpacked = join(out, "unpacked");
    execFileSync("dpkg-deb", ["-x", deb, unpacked]);
    assert.equal(
      execFileSync(join(unpacked, "usr/bin/node"), ["-p", "process.versions.node"], {
        encoding: "utf8",
      }).trim(),
      process.versions.node,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
