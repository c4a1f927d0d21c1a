// The packages installed as an operator installs them: `apt-get install
// ./*.deb` into a throwaway Debian 12 root, then the commands, the
// configuration and its rights, and remove and purge.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildDebianPackages } from "../../src/packaging/build-deb.js";
import { debianRoot, inRoot, nodePackage } from "../helpers/debian-root.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const root = tempDir("debian-root");
const ok = (command: string) => {
  const r = inRoot(root, command);
  assert.equal(r.code, 0, `${command}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

const skip = process.getuid?.() !== 0 ? "needs root (debootstrap, unshare, chroot)" : false;

describe("the packages in a fresh Debian 12", { concurrency: false, skip }, () => {
  let debs: string[] = [];
  before(async () => {
    if (skip) return;
    debianRoot(root);
    mkdirSync(join(root, "debs"));
    debs = await buildDebianPackages({
      root: repoRoot,
      out: join(root, "debs"),
      version: "0.1.0",
      log: () => {},
    });
    copyFileSync(nodePackage(), join(root, "debs", "nodejs.deb"));
    ok("apt-get update -qq");
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  const local = (name: string) => `./debs/${basename(debs.find((d) => d.includes(`/${name}_`))!)}`;

  test("Debian's own Node.js 18 does not satisfy them, and apt says why", () => {
    const r = inRoot(
      root,
      `cd / && apt-get install -y --no-install-recommends ${local("wakame-vdc-client-mussel")}`,
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /wakame-vdc-client-mussel : Depends: nodejs \(>= 20\)/);
  });

  test("with Node.js 20, apt installs all four and their Debian dependencies", () => {
    const names = [
      "wakame-vdc-dcmgr",
      "wakame-vdc-hva-kvm",
      "wakame-vdc-client-mussel",
      "wakame-vdc-image-builder",
    ];
    ok(
      `cd / && apt-get install -y -q --no-install-recommends ./debs/nodejs.deb ${names.map(local).join(" ")}`,
    );
    for (const n of names) assert.match(ok(`dpkg-query -W -f='\${Status}' ${n}`), /install ok installed/);
    assert.match(ok("dpkg-query -W -f='${Status}' qemu-system-x86 dnsmasq-base nftables"), /installed/);
  });

  test("the commands run, vdc-manage on the service's database, which stays the service's user's", () => {
    assert.match(
      ok("vdc-manage host add hva.demo1 --uuid hn-demo1 --force && vdc-manage host show"),
      /hva\.demo1/,
    );
    assert.equal(
      ok("stat -c '%U %a' /var/lib/wakame-vdc/wakame.sqlite3 /var/lib/wakame-vdc"),
      "wakame-vdc 644\nwakame-vdc 750\n",
    );
    for (const c of ["mussel", "hva", "dcmgr", "build-dir-utils.sh", "auto-windows-image-build.sh", "needle"])
      assert.match(ok(`${c} --help`), /Usage: /, c);
  });

  test("the configuration is under /etc/wakame-vdc; what may hold secrets is the services' group's only", () => {
    assert.equal(
      ok("cd /etc/wakame-vdc && stat -c '%n %U:%G %a' dcmgr.conf hva.conf musselrc"),
      "dcmgr.conf root:wakame-vdc 640\nhva.conf root:wakame-vdc 640\nmusselrc root:root 644\n",
    );
  });

  test("remove keeps configuration and state; purge deletes them", () => {
    ok(
      "echo '# changed' >> /etc/wakame-vdc/dcmgr.conf && apt-get remove -y -q wakame-vdc-dcmgr wakame-vdc-hva-kvm",
    );
    assert.match(
      ok("tail -1 /etc/wakame-vdc/dcmgr.conf; ls /etc/wakame-vdc /var/lib/wakame-vdc"),
      /^# changed\n[\s\S]*hva\.conf[\s\S]*wakame\.sqlite3/,
    );
    ok("apt-get purge -y -q wakame-vdc-dcmgr wakame-vdc-hva-kvm");
    assert.equal(ok("ls /etc/wakame-vdc; ls -d /var/lib/wakame-vdc 2>/dev/null || true"), "musselrc\n");
    assert.equal(ok("dpkg-statoverride --list | grep -c wakame-vdc || true"), "0\n");
  });
});
