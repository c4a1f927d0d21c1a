// The image builder end to end, without Windows: a stand-in installation ISO
// made from the test guest (guest/standin-installer/, screens drawn on its
// framebuffer) is driven through every step of build-dir-utils with -do-next
// and -done, the manual steps done at the VNC console as a user would, in the
// guest's Japanese keyboard layout; record mode keeps each step's screen and
// the needles are made from them. Then the outputs are checked as a user
// would (names, md5sum -c, GNU tar, qemu-img check, the NTFS label, the
// .install.sh against vdc-manage), and the first-boot cycle runs on the
// result with the guest protocol: the printed password logs in. Then
// auto-windows-image-build does the same build with no one at the console,
// and stops, with its evidence, on a screen that does not come. Last, a
// Windows 11 build on UEFI with Secure Boot and a TPM (the stand-in checks
// them as Windows 11's setup does), past the CD's boot prompt, packaged GPT.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { fillRect } from "../../src/image/image.js";
import { decodePng, encodePng } from "../../src/image/png.js";
import { parseConsoleScript } from "../../src/imagebuild/auto/console-script.js";
import { shippedConsoleScript } from "../../src/imagebuild/auto/console-scripts.js";
import { loginCheck } from "../../src/testguest/client.js";
import { ensureStandinInstaller } from "../../src/testguest/standin-installer.js";
import {
  autoImageBuild,
  buildDirUtils,
  envWithoutWindowsKeys,
  needleCli,
  vdcManage,
} from "../helpers/cli.js";
import { labelOf, partitionsOf } from "../helpers/ntfs.js";
import { commandsOnPath, repoRoot, tempDir } from "../helpers/paths.js";
import { freshStore, type TestStore } from "../helpers/stores.js";
import { vncUser } from "../helpers/vnc-user.js";

const ws = tempDir("image-build");
const resources = join(ws, "resources");
const utils = (env: Record<string, string>, ...args: string[]) => buildDirUtils(ws, env, ...args);
const ok = async (dir: string, word: string) => {
  const r = await utils({}, dir, word);
  assert.equal(r.code, 0, `${word}: ${r.stderr}`);
  return r.stdout;
};
const serial = (dir: string) => readFileSync(join(dir, "kvm-serial.log"), "utf8").replaceAll("\r", "");
/** Waits for a line of the serial console that begins with `line`. */
async function waitForSerial(dir: string, line: string, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (
      existsSync(join(dir, "kvm-serial.log")) &&
      serial(dir)
        .split("\n")
        .some((l) => l.startsWith(line))
    )
      return;
    await sleep(250);
  }
  assert.fail(`no '${line}' on the console within ${ms} ms:\n${serial(dir)}`);
}
const accepted = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".md5") && !f.startsWith("win-") && !f.endsWith(".qcow2.md5"))
    .map((f) => execFileSync("md5sum", ["-c", f], { cwd: dir }).toString().trim());

/** A needle made from the screen the build recorded for STEP, as docs/needles.md says to. */
async function makeNeedle(
  dir: string,
  step: string,
  tag: string,
  areas: string[],
  click?: string,
): Promise<void> {
  const args = ["new", "--from-build", dir, step, ...areas.flatMap((a) => ["--area", a]), "--tag", tag];
  const r = await needleCli(ws, ...args, ...(click ? ["--click", click] : []), "-o", join("needles", tag));
  assert.equal(r.code, 0, r.stderr);
}

/** The typed state (the field's text) has no step of its own: -screendump it, as a user would, and make its needle. */
async function screenWithTypedText(dir: string, tag: string, chars: number): Promise<void> {
  // The field shows the characters and the cursor: wait until the screen holds them.
  for (let i = 0; ; i++) {
    const shot = (await ok(dir, "-screendump")).trim();
    const made = await needleCli(
      ws,
      "new",
      join(dir, shot),
      "--area",
      "32,158,300,40",
      "--tag",
      tag,
      "-o",
      join("needles", `${tag}-try`),
    );
    assert.equal(made.code, 0, made.stderr);
    const screen = decodePng(readFileSync(join(dir, shot)));
    // The cursor "_" follows the typed characters (8 pixels each) on the field's first line, at y 166-182.
    const cursorX = 40 + chars * 8 + 3;
    const dark = (y: number) => screen.data[(y * 1024 + cursorX) * 4]! < 100;
    if (Array.from({ length: 16 }, (_, k) => 166 + k).some(dark) || i > 40) {
      for (const ext of ["json", "png"])
        renameSync(join(ws, "needles", `${tag}-try.${ext}`), join(ws, "needles", `${tag}.${ext}`));
      return;
    }
    for (const ext of ["json", "png"]) rmSync(join(ws, "needles", `${tag}-try.${ext}`));
    await sleep(250);
  }
}

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
    "# the stand-in ISO\nISO2012=standin-2012.iso\nIMAGESIZE=1G\nACCEL=tcg\nMEMORY=512\n" +
      "# the needles made from the manual build's screens; the shipped script with short time limits\n" +
      "NEEDLES_DIR=needles\nCONSOLE_SCRIPT=console.yaml\n",
  );
  mkdirSync(join(ws, "needles"));
  const shipped = readFileSync(shippedConsoleScript("2012", "ja-JP"), "utf8");
  // Installing (step 4) takes a while under TCG; a screen after it comes within seconds.
  const short = shipped.replace(/timeout: \d+/g, "timeout: 20").replace("timeout: 20", "timeout: 300");
  writeFileSync(join(ws, "console.yaml"), short);
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
  await waitForSerial(dir, "standin: screen: Sign in");
  assert.match(
    serial(dir),
    /answer file: image 'Windows Server 2012 R2 SERVERSTANDARD', language ja-JP, boot partition 350 MB/,
  );
  assert.match(serial(dir), /keyboard: jis/);
  const shot = (await ok(dir, "-screendump")).trim();
  assert.equal(readFileSync(join(dir, shot)).subarray(1, 4).toString(), "PNG");
  // Record mode: each confirmed step's screen is kept; the needles are made from them.
  assert.match(
    await ok(dir, "-done"),
    /screen recorded: screenshots\/4-M-wait-for-ctrl-alt-delete-screen.png/,
  );
  const recorded = decodePng(
    readFileSync(join(dir, "screenshots", "4-M-wait-for-ctrl-alt-delete-screen.png")),
  );
  assert.deepEqual([recorded.width, recorded.height], [1024, 768]);
  assert.match(
    await ok(dir, "-status"),
    /last screenshot: screenshots\/4-M-wait-for-ctrl-alt-delete-screen.png/,
  );
  await makeNeedle(dir, "4", "ctrl-alt-delete", ["0,0,600,150"]);
  const logs1 = await ok(dir, "-do-next");
  if (process.getuid?.() === 0) {
    const held = execFileSync("tar", [
      "-tzf",
      join(dir, "logs-001-at-ctrl-alt-delete-screen.tar.gz"),
    ]).toString();
    assert.match(held, /Windows\/Panther\/setupact.log/);
    assert.match(held, /Windows\/Setup\/Scripts\/wakame-init-first-boot.ps1/);
  } else assert.match(logs1, /not made: .*needs root/);

  // 6 to 11, as the user does them at the VNC console, in the guest's JIS layout.
  const user = await vncUser(
    readFileSync(join(dir, "kvm.vnc"), "utf8").trim(),
    "jis",
    readFileSync(join(dir, "kvm.vnc-password"), "utf8").trim(),
  );
  try {
    await user.keys("ctrl-alt-delete");
    await waitForSerial(dir, "standin: screen: Administrator");
    await ok(dir, "-done");
    await makeNeedle(dir, "6", "password-prompt", ["0,0,600,150"]);
    await user.type("a:run-sysprep");
    await screenWithTypedText(dir, "password-typed", "a:run-sysprep".length);
    await user.keys("ret");
    await waitForSerial(dir, "standin: screen: Server Manager");
    await ok(dir, "-done");
    await makeNeedle(dir, "7", "server-manager", ["0,0,1024,64"], "980,32");
    await ok(dir, "-done"); // 8: the desktop (Server Manager) is there
    await user.click(980, 32);
    await waitForSerial(dir, "standin: screen: Desktop");
    await ok(dir, "-done");
    await makeNeedle(dir, "9", "desktop", ["0,0,400,64", "32,680,280,56"], "170,708");
    await user.click(170, 708);
    await waitForSerial(dir, "standin: screen: Windows PowerShell");
    await ok(dir, "-done");
    await makeNeedle(dir, "10", "powershell", ["0,0,600,150"]);
    await user.type("a:run-sysprep");
    await screenWithTypedText(dir, "run-sysprep-typed", "a:run-sysprep".length);
    await user.keys("ret");
    assert.match(await ok(dir, "-done"), /nextstep is now 24-wait-for-shutdown/);
  } finally {
    user.close();
  }
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

const manualTags = [
  "ctrl-alt-delete",
  "password-prompt",
  "password-typed",
  "server-manager",
  "desktop",
  "powershell",
  "run-sysprep-typed",
];

test("auto-windows-image-build --package: the same build with no one at the console", async () => {
  const dir = join(ws, "auto-2012");
  assert.equal((await utils({}, dir, "0-init", "2012")).code, 0);
  const r = await autoImageBuild(ws, { KEY2012: "none" }, dir, "--package");
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  for (const tag of manualTags)
    assert.match(r.stdout, new RegExp(`screen '${tag}': needle ${tag} after [\\d.]+ s`));
  assert.match(r.stdout, /typed 13 characters \(jis layout\)/);
  assert.match(r.stdout, /clicked at 980,32 \(needle server-manager\)/);
  assert.match(r.stdout, /the build is done: the seed image is in/);
  assert.match(serial(dir), /sysprep done, powering off/);
  assert.ok(existsSync(join(dir, "final-seed-image", "windows2012r2.x86_64.kvm.md.raw.tar.gz")));
  assert.equal(readFileSync(join(dir, "nextstep"), "utf8").trim(), "1001-gen0-first-boot");
  // The same truth as a manual build: each manual step confirmed in the log, its screen recorded.
  const log = readFileSync(join(dir, "log"), "utf8");
  assert.match(log, /=== .* 7-M-enter-temporary-password\n {4}confirmed 7-M-enter-temporary-password\n/);
  assert.ok(existsSync(join(dir, "screenshots", "10-M-open-powershell-window.png")));
  // The report: every step, and each screen waited for, in one file.
  const report = readFileSync(join(dir, "report.html"), "utf8");
  for (const step of ["1-setup-install", "7-M-enter-temporary-password", "28-package-to-wakame-qcow2-image"])
    assert.ok(report.includes(step), step);
  // One picture for each screen the script waits for (a click waits for its screen too).
  const script = parseConsoleScript(readFileSync(join(ws, "console.yaml"), "utf8"), "console.yaml");
  const waits = [...script.steps.values()]
    .flat()
    .filter((a) => a.kind !== "keys" && (a.kind !== "type" || a.until));
  assert.equal(report.match(/<img src="data:image\/png;base64,/g)?.length, waits.length);
  assert.match(await ok(dir, "-status"), /report: +.*auto-2012\/report.html/);
});

test("a screen that does not come: the build stops on its step with the evidence; -done and a rerun finish it", async () => {
  // Server Manager's needle no longer matches: its title bar painted over, as if the screen had changed.
  const broken = join(ws, "broken-needles");
  mkdirSync(broken);
  for (const f of readdirSync(join(ws, "needles"))) copyFileSync(join(ws, "needles", f), join(broken, f));
  const png = join(broken, "server-manager.png");
  const picture = decodePng(readFileSync(png));
  fillRect(picture, { x: 0, y: 0, width: 1024, height: 64 }, [200, 120, 0]);
  writeFileSync(png, encodePng(picture));

  const dir = join(ws, "auto-broken");
  assert.equal((await utils({}, dir, "0-init", "2012")).code, 0);
  const env = { KEY2012: "none", NEEDLES_DIR: "broken-needles" };
  // Ctrl-C while a manual step waits for its screen: the build stops, nextstep stays, the lock goes.
  const child = spawn(process.execPath, [join(repoRoot, "bin", "auto-windows-image-build.js"), dir], {
    cwd: ws,
    env: { ...envWithoutWindowsKeys(), ...env },
  });
  let said = "";
  child.stdout.on("data", (d) => {
    said += d;
  });
  child.stderr.on("data", (d) => {
    said += d;
  });
  const exited = new Promise<number | null>((r) => child.on("close", r));
  for (let i = 0; !said.includes("console: vnc://"); i++) {
    assert.ok(i < 1200, said);
    await sleep(100);
  }
  child.kill("SIGINT");
  assert.equal(await exited, 1);
  const next = readFileSync(join(dir, "nextstep"), "utf8").trim();
  assert.ok(said.includes(`interrupted: nextstep is still ${next}; run the same command again`), said);
  assert.equal(existsSync(join(dir, "lock")), false);

  const r = await autoImageBuild(ws, env, dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /8-M-wait-for-desktop: the screen 'server-manager' did not come within 20 s/);
  assert.match(r.stderr, /screenshot: screenshots\/8-M-wait-for-desktop.timeout.png/);
  assert.match(
    r.stderr,
    /closest needle: server-manager \(tags server-manager\)\n {4}area 1 at \d+,\d+ \(1024x64\): similarity 0\.\d+, needs 0.960/,
  );
  assert.match(r.stderr, /diff image: screenshots\/8-M-wait-for-desktop.timeout.server-manager.diff.png/);
  assert.match(
    r.stderr,
    /nextstep is still 8-M-wait-for-desktop: finish it at the console and run 'build-dir-utils .* -done'/,
  );
  for (const f of [
    "8-M-wait-for-desktop.timeout.png",
    "8-M-wait-for-desktop.timeout.server-manager.diff.png",
  ])
    assert.equal(decodePng(readFileSync(join(dir, "screenshots", f))).width, 1024);
  assert.equal(readFileSync(join(dir, "nextstep"), "utf8").trim(), "8-M-wait-for-desktop");
  assert.match(
    readFileSync(join(dir, "report.html"), "utf8"),
    /did not come; closest needle server-manager \(diff\)/,
  );

  // The user confirms step 8 by hand, mends the needle, and runs the same command again.
  assert.match(await ok(dir, "-done"), /nextstep is now 9-M-close-server-manager/);
  copyFileSync(join(ws, "needles", "server-manager.png"), png);
  const again = await autoImageBuild(ws, env, dir);
  assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
  assert.match(again.stdout, /Windows is installed and sysprepped/);
  assert.equal(readFileSync(join(dir, "nextstep"), "utf8").trim(), "26-make-simple-tar-of-image");
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

test("a Windows 11 build on UEFI, Secure Boot and a TPM: past the CD's boot prompt and through every step with no one at the console, GPT packaged, and the image's first boot on its own firmware and TPM", async () => {
  copyFileSync(await ensureStandinInstaller("11", "none"), join(resources, "standin-11.iso"));
  // The 2012 build's needles; the sign-in screen's by its title only, which both versions share.
  const needles = join(ws, "needles-11");
  mkdirSync(needles);
  for (const f of readdirSync(join(ws, "needles"))) copyFileSync(join(ws, "needles", f), join(needles, f));
  const signIn = JSON.parse(readFileSync(join(needles, "ctrl-alt-delete.json"), "utf8"));
  signIn.area[0].height = 64;
  writeFileSync(join(needles, "ctrl-alt-delete.json"), JSON.stringify(signIn));
  // The 2012 script for this stand-in's screens, as Windows 11 shows them: no Server Manager.
  const script = parseYaml(readFileSync(join(ws, "console.yaml"), "utf8"));
  script.windows = "11";
  script.steps["8-M-wait-for-desktop"] = [{ wait: "desktop", timeout: 60 }];
  script.steps["9-M-close-server-manager"] = [{ wait: "desktop", timeout: 20 }];
  writeFileSync(join(ws, "console-11.yaml"), stringifyYaml(script));
  const env = {
    ISO11: "standin-11.iso",
    KEY11: "none",
    WINLANG: "ja-JP",
    VIRTIOISO: "virtio-win-0.1-74.iso",
    NEEDLES_DIR: "needles-11",
    CONSOLE_SCRIPT: "console-11.yaml",
    // Windows 11's minimums: a smaller disk or memory is refused by step 1, as by its setup.
    IMAGESIZE: "64G",
    MEMORY: "4096",
  };
  const dir = join(ws, "auto-11");
  assert.equal((await utils({}, dir, "0-init", "11")).code, 0);
  const r = await autoImageBuild(ws, env, dir, "--package");
  assert.equal(
    r.code,
    0,
    `${r.stdout}\n${r.stderr}\n${existsSync(join(dir, "kvm-serial.log")) ? serial(dir) : ""}`,
  );
  assert.match(
    r.stdout,
    /install-params\/ written: Windows 11 Pro, ja-JP, key none, disk 64G, UEFI with Secure Boot and a TPM 2\.0/,
  );
  assert.match(r.stdout, /setup is writing to the disk: past the boot prompt after \d+ presses/);
  const said = serial(dir);
  assert.match(said, /standin: boot from CD: a key was pressed/);
  assert.match(said, /standin: hardware: UEFI, Secure Boot, TPM 2\.0, sse4_2 popcnt/);
  assert.match(said, /answer file: image 'Windows 11 Pro', language ja-JP, GPT: EFI 100 MB, MSR 16 MB/);
  assert.match(said, /sysprep done, powering off/);
  const cmdline = readFileSync(join(dir, "kvm-boot-cmdline-1"), "utf8");
  for (const flag of [
    /-machine q35,smm=on/,
    /OVMF_CODE_4M\.secboot\.fd/,
    /kvm-efivars\.fd/,
    /-device tpm-tis/,
    /-cpu Nehalem/,
  ])
    assert.match(cmdline, flag);

  // The seed image: GPT, Windows' partition labelled root, the ESP as installed; features registered.
  const final = join(dir, "final-seed-image");
  const raw = join(final, "windows11r2.x86_64.kvm.md.raw");
  assert.deepEqual(
    partitionsOf(raw).map((p) => p.type),
    [
      "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
      "e3c9e316-0b5c-4db8-817d-f92df00215ae",
      "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7",
    ],
  );
  assert.equal(labelOf(raw), "root");
  assert.equal(accepted(final).length, 2);
  const storeEnv = { ...store.env, PATH: `${commandsOnPath()}:${process.env.PATH}` };
  execFileSync("bash", [join(final, "windows11r2.x86_64.kvm.md.raw.tar.gz.install.sh")], { env: storeEnv });
  const image = JSON.parse(
    (await vdcManage(["image", "show", "wmi-windows11r2", "--json"], storeEnv)).stdout,
  );
  const features = typeof image.features === "string" ? JSON.parse(image.features) : image.features;
  assert.deepEqual(features, { virtio: true, uefi: true, secure_boot: true, tpm: true });

  // 1001 to 1003: the image boots on a new variable store and TPM, as a launched instance, and its password logs in.
  assert.match(await ok(dir, "-do-next"), /remote desktop \(port 3389\) of the VM is forwarded/);
  const password = /Administrator password: (\S{10})\n/.exec(await ok(dir, "-do-next"))?.[1];
  assert.ok(password);
  assert.match(readFileSync(join(dir, "kvm-boot-cmdline-2"), "utf8"), /gen0-efivars\.fd.*-device tpm-tis/);
  assert.match(await ok(dir, "-do-next"), /The build is finished/);
  const port = Number(readFileSync(join(dir, "gen0-rdp-port"), "utf8"));
  assert.equal((await loginCheck(port, password)).trim(), "OK");
  assert.match(serial(dir), /wakame-testvm: hardware firmware=uefi secure-boot=on cpu=popcnt,sse4_2 tpm=2/);
  await ok(dir, "-kill-kvm");
});
