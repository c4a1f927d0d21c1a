// The image builder end to end, without Windows: a stand-in installation ISO
// made from the test guest (guest/standin-installer/) is driven through every
// step of build-dir-utils with -do-next and -done, the manual steps' keys typed
// on the VM's console as a user at VNC would. Then the outputs are checked as
// a user would (names, md5sum -c, GNU tar, qemu-img check, the NTFS label,
// the .install.sh against vdc-manage), and the first-boot cycle runs on the
// result with the guest protocol: the printed password logs in.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { decodePng } from "../../src/image/png.js";
import { loginCheck } from "../../src/testguest/client.js";
import { ensureStandinInstaller } from "../../src/testguest/standin-installer.js";
import { buildDirUtils, needleCli, vdcManage } from "../helpers/cli.js";
import { pressCtrlAltDelete, typeText } from "../helpers/console-keys.js";
import { labelOf } from "../helpers/ntfs.js";
import { commandsOnPath, tempDir } from "../helpers/paths.js";
import { freshStore, type TestStore } from "../helpers/stores.js";

const ws = tempDir("image-build");
const resources = join(ws, "resources");
const utils = (env: Record<string, string>, ...args: string[]) => buildDirUtils(ws, env, ...args);
const ok = async (dir: string, word: string) => {
  const r = await utils({}, dir, word);
  assert.equal(r.code, 0, `${word}: ${r.stderr}`);
  return r.stdout;
};
const serial = (dir: string) => readFileSync(join(dir, "kvm-serial.log"), "utf8");
async function waitForSerial(dir: string, line: string, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(join(dir, "kvm-serial.log")) && serial(dir).includes(line)) return;
    await sleep(250);
  }
  assert.fail(`no '${line}' on the console within ${ms} ms:\n${serial(dir)}`);
}
const accepted = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".md5") && !f.startsWith("win-") && !f.endsWith(".qcow2.md5"))
    .map((f) => execFileSync("md5sum", ["-c", f], { cwd: dir }).toString().trim());

let store: TestStore;

before(async () => {
  mkdirSync(resources, { recursive: true });
  copyFileSync(await ensureStandinInstaller("2012", "none"), join(resources, "standin-2012.iso"));
  mkdirSync(join(ws, "virtio"));
  writeFileSync(join(ws, "virtio", "README"), "virtio drivers\n");
  execFileSync("xorriso", [
    "-as",
    "mkisofs",
    "-quiet",
    "-o",
    join(resources, "virtio-win-0.1-74.iso"),
    join(ws, "virtio"),
  ]);
  // A small disk and TCG, so that the suite runs anywhere.
  writeFileSync(
    join(ws, "windows-image-build.ini"),
    "# the stand-in ISO\nISO2012=standin-2012.iso\nIMAGESIZE=1G\nACCEL=tcg\nMEMORY=512\n",
  );
  store = await freshStore("sqlite");
});
after(async () => {
  for (const d of readdirSync(ws))
    if (existsSync(join(ws, d, "kvm.pid"))) await utils({}, join(ws, d), "-kill-kvm");
  await store.dispose();
  rmSync(ws, { recursive: true, force: true });
});

test("a Windows Server 2012 build through every step, packaged, and its first boot tested", async () => {
  const dir = join(ws, "build-2012");
  assert.match((await utils({}, dir, "0-init")).stderr, /0-init needs the Windows version/);
  assert.equal((await utils({}, dir, "0-init", "2012")).code, 0);
  const env = { KEY2012: "none" };
  assert.equal((await utils(env, dir, "-do-next")).code, 0, "1-setup-install");
  assert.match(await ok(dir, "-do-next"), /run-sysprep.cmd sets no product key/);
  const boot = await ok(dir, "-do-next");
  assert.match(boot, /VM started on tcg: pid \d+, console vnc:\/\/127\.0\.0\.1:59\d\d/);
  assert.match(
    readFileSync(join(dir, "kvm-boot-cmdline-1"), "utf8"),
    /^qemu-system-x86_64 .*-drive file=.*answerfile-floppy.img,format=raw,if=floppy/,
  );
  assert.match(await ok(dir, "-status"), /VM: +running, pid \d+, VNC 127\.0\.0\.1:59\d\d/);

  // 4: the user watches for the Ctrl+Alt+Del screen.
  await waitForSerial(dir, "standin: ctrl-alt-delete screen");
  assert.match(
    serial(dir),
    /answer file: image 'Windows Server 2012 R2 SERVERSTANDARD', language ja-JP, boot partition 350 MB/,
  );
  const shot = (await ok(dir, "-screendump")).trim();
  assert.equal(readFileSync(join(dir, shot)).subarray(1, 4).toString(), "PNG");
  // Record mode: the confirmed step's screen is kept, and a needle is made of it.
  assert.match(
    await ok(dir, "-done"),
    /screen recorded: screenshots\/4-M-wait-for-ctrl-alt-delete-screen.png/,
  );
  const recorded = decodePng(
    readFileSync(join(dir, "screenshots", "4-M-wait-for-ctrl-alt-delete-screen.png")),
  );
  assert.ok(recorded.width >= 640 && recorded.height >= 400);
  assert.match(
    await ok(dir, "-status"),
    /last screenshot: screenshots\/4-M-wait-for-ctrl-alt-delete-screen.png/,
  );
  const made = await needleCli(
    ws,
    "new",
    "--from-build",
    dir,
    "4",
    "--area",
    "0,0,200,40",
    "--tag",
    "ctrl-alt-delete",
    "-o",
    "cad",
  );
  assert.equal(made.code, 0, made.stderr);
  assert.equal(
    (
      await needleCli(
        ws,
        "test",
        "cad.json",
        join(dir, "screenshots", "4-M-wait-for-ctrl-alt-delete-screen.png"),
      )
    ).code,
    0,
  );
  const logs1 = await ok(dir, "-do-next");
  if (process.getuid?.() === 0) {
    const held = execFileSync("tar", [
      "-tzf",
      join(dir, "logs-001-at-ctrl-alt-delete-screen.tar.gz"),
    ]).toString();
    assert.match(held, /Windows\/Panther\/setupact.log/);
    assert.match(held, /Windows\/Setup\/Scripts\/wakame-init-first-boot.ps1/);
  } else assert.match(logs1, /not made: .*needs root/);

  // 6 to 11, as the user does them on the console.
  const qmp = join(dir, "kvm.qmp");
  await pressCtrlAltDelete(qmp);
  await ok(dir, "-done");
  await waitForSerial(dir, "standin: screen: Administrator");
  await typeText(qmp, "a:run-sysprep\n");
  await ok(dir, "-done");
  await waitForSerial(dir, "standin: logged on");
  for (const _ of ["8-M-wait-for-desktop", "9-M-close-server-manager", "10-M-open-powershell-window"])
    await ok(dir, "-done");
  await typeText(qmp, "a:run-sysprep\n");
  assert.match(await ok(dir, "-done"), /nextstep is now 24-wait-for-shutdown/);
  assert.match(await ok(dir, "-do-next"), /the VM is off after \d+ s/);
  assert.match(serial(dir), /sysprep done, powering off/);
  await ok(dir, "-do-next");
  if (process.getuid?.() === 0) {
    const held = execFileSync("tar", ["-tzf", join(dir, "logs-002-after-sysprep.tar.gz")]).toString();
    assert.match(held, /Windows\/System32\/sysprep\/Panther\/setupact.log/);
  }

  // 26 to 28: packaging.
  for (const _ of [26, 27, 28]) await ok(dir, "-do-next");
  const final = join(dir, "final-seed-image");
  assert.deepEqual(readdirSync(final).sort(), [
    "win-2012.raw.md5",
    "windows2012r2.x86_64.15071.qcow2.gz",
    "windows2012r2.x86_64.15071.qcow2.gz.md5",
    "windows2012r2.x86_64.15071.qcow2.md5",
    "windows2012r2.x86_64.kvm.md.raw",
    "windows2012r2.x86_64.kvm.md.raw.tar.gz",
    "windows2012r2.x86_64.kvm.md.raw.tar.gz.install.sh",
    "windows2012r2.x86_64.kvm.md.raw.tar.gz.md5",
  ]);
  const raw = join(final, "windows2012r2.x86_64.kvm.md.raw");
  assert.equal(statSync(raw).size, 1 << 30);
  assert.equal(labelOf(raw), "root");
  // md5sum -c: the packages' here; the installed image's (copied here too) beside
  // the image; the qcow2's once it is gunzipped.
  assert.equal(accepted(final).length, 2);
  execFileSync("md5sum", ["-c", "win-2012.raw.md5"], { cwd: dir });
  const out = join(ws, "untar");
  mkdirSync(out);
  execFileSync("tar", ["-xzSf", join(final, "windows2012r2.x86_64.kvm.md.raw.tar.gz"), "-C", out]);
  execFileSync("cmp", [raw, join(out, "windows2012r2.x86_64.kvm.md.raw")]);
  assert.ok(statSync(join(out, "windows2012r2.x86_64.kvm.md.raw")).blocks * 512 < 1 << 29, "holes kept");
  const qcow2 = join(out, "windows2012r2.x86_64.15071.qcow2");
  execFileSync("sh", ["-c", `gzip -dc '${final}/windows2012r2.x86_64.15071.qcow2.gz' > '${qcow2}'`]);
  copyFileSync(join(final, "windows2012r2.x86_64.15071.qcow2.md5"), `${qcow2}.md5`);
  execFileSync("md5sum", ["-c", "windows2012r2.x86_64.15071.qcow2.md5"], { cwd: out });
  execFileSync("qemu-img", ["check", qcow2]);
  execFileSync("qemu-img", ["compare", "-f", "raw", "-F", "qcow2", raw, qcow2]);
  const storeEnv = { ...store.env, PATH: `${commandsOnPath()}:${process.env.PATH}` };
  execFileSync(
    "bash",
    [join(final, "windows2012r2.x86_64.kvm.md.raw.tar.gz.install.sh"), "backupobject", "image"],
    {
      env: storeEnv,
    },
  );
  const image = JSON.parse(
    (await vdcManage(["image", "show", "wmi-windows2012r2", "--json"], storeEnv)).stdout,
  );
  assert.deepEqual(
    [image.os_type, image.root_device, image.backup_object_id],
    ["windows", "label:root", "bo-windows2012r2"],
  );

  // 1001 to 1003: the image's first boot, with the guest protocol.
  assert.match(
    await ok(dir, "-do-next"),
    /remote desktop \(port 3389\) of the VM is forwarded to 127\.0\.0\.1:\d+/,
  );
  const said = await ok(dir, "-do-next");
  const password = /Administrator password: (\S{10})\n/.exec(said)?.[1];
  assert.ok(password, said);
  assert.equal((await ok(dir, "-pw")).trim(), password);
  assert.match(await ok(dir, "-do-next"), /The build is finished/);
  const port = Number(readFileSync(join(dir, "gen0-rdp-port"), "utf8"));
  assert.equal((await loginCheck(port, password)).trim(), "OK");
  assert.equal((await loginCheck(port, `${password}x`)).trim(), "DENIED");
  assert.match(await ok(dir, "-kill-kvm"), /Terminating KVM instance pid=\d+/);
  assert.match(await ok(dir, "-status"), /next step: finished\nVM: +not running/);
  assert.match(readFileSync(join(dir, "log"), "utf8"), /=== .* 1002-gen0-wait-for-password\n[\s\S]*--- ok/);
});

test("the stand-in refuses a version its ISO does not hold, and a product key an evaluation ISO does not take", async () => {
  const cases: { label: string; env: Record<string, string>; says: string }[] = [
    {
      label: "2016",
      env: { ISO2016: "standin-2012.iso", KEY2016: "none", VIRTIOISO: "virtio-win-0.1-74.iso" },
      says: "cannot find the image 'Windows Server 2016 SERVERSTANDARD'",
    },
    {
      label: "2012",
      env: { KEY2012: "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY" },
      says: "The product key ABCDE-FGHIJ-KLMNO-PQRST-UVWXY cannot be used with this evaluation media",
    },
  ];
  for (const c of cases) {
    const dir = join(ws, `wrong-${c.label}`);
    await utils({}, dir, "0-init", c.label);
    for (const step of [1, 2, 3]) {
      const r = await utils(c.env, dir, "-do-next");
      assert.equal(r.code, 0, `${c.label} step ${step}: ${r.stderr}`);
    }
    await waitForSerial(dir, `standin: FAILED: `);
    assert.ok(serial(dir).includes(c.says), serial(dir));
    await ok(dir, "-cleanup");
    assert.match(await ok(dir, "-status"), /VM: +not running/);
  }
});
