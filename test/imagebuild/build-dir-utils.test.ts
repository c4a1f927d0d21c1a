// build-dir-utils as users call it: 0-init, -do-next, -done, -status, the
// lock, a failing step that can be run again, and the packaging-only build.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildDirUtils } from "../helpers/cli.js";
import { ntfsDisk } from "../helpers/ntfs.js";
import { tempDir } from "../helpers/paths.js";

const root = tempDir("build-dir");
after(() => rmSync(root, { recursive: true, force: true }));
// Run where no windows-image-build.ini is, with no ISOnnnn or KEYnnnn set.
const workspace = join(root, "workspace");
mkdirSync(workspace);
const utils = (...args: string[]) => buildDirUtils(workspace, {}, ...args);
const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8").trim();

test("0-init makes the build directory; the flags refuse what does not fit the next step", async () => {
  const dir = join(root, "b1");
  const none = await utils(dir, "0-init");
  assert.equal(none.code, 1);
  assert.match(none.stderr, /0-init needs the Windows version: one of 2008, 2012, 2016, 2019, 2022, 2025/);

  const init = await utils(dir, "0-init", "2012");
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /\.\/nextstep is now 1-setup-install\n$/);
  assert.equal(read(dir, "LABEL"), "2012");
  assert.equal(read(dir, "WINIMG"), "win-2012.raw");
  assert.match(read(dir, "timestamp"), /^\d{6}-\d{6}$/);
  assert.equal(read(dir, "nextstep"), "1-setup-install");
  assert.match((await utils(dir, "0-init", "2012")).stderr, /is not empty/);

  const done = await utils(dir, "-done");
  assert.equal(done.code, 1);
  assert.match(done.stderr, /1-setup-install is automatic: run it with -do-next, not -done/);
  const unset = await utils(dir, "-do-next");
  assert.equal(unset.code, 1);
  assert.match(unset.stderr, /ISO2012 is not set \(.*\): do 'export ISO2012=FILE.iso'/);
  assert.match(unset.stderr, /KEY2012 is not set \(.*\): do 'export KEY2012=none'/);
  assert.equal(read(dir, "nextstep"), "1-setup-install", "nextstep stays");

  writeFileSync(join(dir, "nextstep"), "4-M-wait-for-ctrl-alt-delete-screen\n");
  const manual = await utils(dir, "-next");
  assert.equal(manual.code, 1);
  assert.match(manual.stderr, /4-M-wait-for-ctrl-alt-delete-screen is a manual step: .*then use -done/);
  const confirmed = await utils(dir, "-done");
  assert.equal(confirmed.code, 0, confirmed.stderr);
  assert.match(confirmed.stdout, /nextstep is now 5-record-logs-at-ctrl-alt-delete-screen/);
  assert.match(confirmed.stdout, /no screen recorded: the build's VM is not running/);

  const status = await utils(dir, "-status");
  assert.match(status.stdout, /label: +2012 \(image win-2012.raw\)/);
  assert.match(status.stdout, /VM: +not running/);
  assert.match(status.stdout, /\[done\] 4-M-wait-for-ctrl-alt-delete-screen/);
  assert.match(status.stdout, /\[next\] 5-record-logs-at-ctrl-alt-delete-screen/);
  assert.match(status.stdout, /\[ {4}\] 26-make-simple-tar-of-image/);

  assert.match((await utils(dir, "-frobnicate")).stderr, /unknown step or flag '-frobnicate'/);
  assert.match(
    (await utils(dir, "-do-next", "2012")).stderr,
    /-do-next takes no more words: only 0-init takes one/,
  );
  assert.match((await utils(dir, "26-make-simple-tar-of-image")).stderr, /the next step is 5-record-logs/);
  assert.match(
    (await utils(join(root, "nothing"), "-status")).stderr,
    /is not a build directory: start one with/,
  );
  assert.match(read(dir, "log"), /=== .* 4-M-wait-for-ctrl-alt-delete-screen\n {4}confirmed/);
  // Every call is in the log, refusals with their reasons.
  assert.match(
    read(dir, "log"),
    /=== .* -done\n--- refused: 1-setup-install is automatic: run it with -do-next, not -done\n/,
  );
  assert.match(read(dir, "log"), /=== .* -status\n--- ok\n/);
  assert.match(read(dir, "log"), /=== .* -frobnicate\n--- refused: unknown step or flag '-frobnicate'/);
});

test("a second call on a directory in use is refused; a lock left by a dead process is taken over", async () => {
  const dir = join(root, "b2");
  await utils(dir, "0-init", "2008");
  writeFileSync(join(dir, "lock"), String(process.pid));
  const busy = await utils(dir, "-status");
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, new RegExp(`another build-dir-utils \\(pid ${process.pid}\\) is working on`));
  writeFileSync(join(dir, "lock"), "999999999");
  assert.equal((await utils(dir, "-status")).code, 0);
});

test("an image installed some other way is packaged by steps 26-28; a failed step can be run again", async () => {
  const dir = join(root, "b3");
  await utils(dir, "0-init", "2008");
  ntfsDisk(join(dir, "win-2008.raw"), "Windows");
  writeFileSync(join(dir, "nextstep"), "27-package-to-wakame-tgz-image\n");
  const early = await utils(dir, "-do-next");
  assert.equal(early.code, 1);
  assert.match(
    early.stderr,
    /27-package-to-wakame-tgz-image failed: win-2008.raw.md5 is missing: run 26-make-simple-tar-of-image first\nnextstep is still 27/,
  );
  assert.match(read(dir, "log"), /--- failed: win-2008.raw.md5 is missing/);

  writeFileSync(join(dir, "nextstep"), "26-make-simple-tar-of-image\n");
  for (const step of ["26", "27", "28"]) {
    const r = await utils(dir, "-do-next");
    assert.equal(r.code, 0, `${step}: ${r.stderr}`);
  }
  assert.equal(read(dir, "nextstep"), "1001-gen0-first-boot");
  const md5 = read(join(dir, "final-seed-image"), "windows2008r2.x86_64.kvm.md.raw.tar.gz.md5");
  assert.match(md5, /^[0-9a-f]{32} {2}windows2008r2.x86_64.kvm.md.raw.tar.gz$/);
  const log = read(dir, "log");
  for (const step of [
    "26-make-simple-tar-of-image",
    "27-package-to-wakame-tgz-image",
    "28-package-to-wakame-qcow2-image",
  ])
    assert.match(log, new RegExp(`=== .* ${step}\\n(.*\\n)*?--- ok`));
});
