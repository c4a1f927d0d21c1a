// Step 1: settings from windows-image-build.ini and the environment, checked
// and captured in install-params/; ./resources/ checked, and what is missing
// fetched over real HTTP, resuming a download that broke off.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { defaultIni, resolveSettings, SettingError } from "../../src/imagebuild/build-settings.js";
import { readInstallParams } from "../../src/imagebuild/install-params.js";
import { buildDirUtils, run } from "../helpers/cli.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const root = tempDir("setup-install");
after(() => rmSync(root, { recursive: true, force: true }));
const utils = buildDirUtils;
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

test("defaults per version: the original's Japanese 2008 R2 and 2012 R2, English for the newer ones", () => {
  const given = { ISO2008: "w.iso", KEY2008: "none", ISO2019: "w.iso", KEY2019: "none" };
  const s2008 = resolveSettings("2008", undefined, given);
  assert.equal(s2008.get("WINLANG"), "ja-JP");
  assert.equal(s2008.get("IMAGENAME"), "Windows Server 2008 R2 SERVERSTANDARD");
  assert.equal(s2008.get("VIRTIOISO"), "virtio-win-0.1-74.iso");
  assert.equal(s2008.get("VIRTIOPATHS"), "E:\\WLH\\AMD64;E:\\VISTA\\AMD64");
  assert.equal(s2008.get("IMAGESIZE"), "30G");
  assert.equal(s2008.get("INSTALLMAC"), "52-54-00-11-a0-5b");
  assert.equal(s2008.get("INSTALLDATE"), "2014-04-01");
  const s2019 = resolveSettings("2019", undefined, given);
  assert.equal(s2019.get("WINLANG"), "en-US");
  assert.equal(s2019.get("IMAGENAME"), "Windows Server 2019 SERVERSTANDARD");
  assert.match(s2019.get("VIRTIOPATHS")!, /E:\\viostor\\2k19\\amd64/);
});

test("the environment wins over the file, the file over the defaults; quotes and comments", () => {
  const ini = {
    path: "windows-image-build.ini",
    text: "# a comment\nIMAGESIZE = 40G\nKEY2012='ABCDE-FGHIJ-KLMNO-PQRST-UVWXY'  # the MAK\nWINLANG=\"en-US\"\nMEMORY=4096\n",
  };
  const s = resolveSettings("2012", ini, { ISO2012: "ja.iso", MEMORY: "3072" });
  assert.equal(s.get("IMAGESIZE"), "40G");
  assert.equal(s.get("KEY2012"), "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY");
  assert.equal(s.get("WINLANG"), "en-US");
  assert.equal(s.get("MEMORY"), "3072");
  assert.equal(s.get("ISO2012"), "ja.iso");
});

test("every problem at once: unset ISO and key with their export lines, unknown names by line, bad values by source", () => {
  const ini = {
    path: "/w/windows-image-build.ini",
    text: "IMAGESIZE=30\nNETMSK=255.255.255.0\nthis is not a setting\n",
  };
  assert.throws(
    () => resolveSettings("2016", ini, { INSTALLMAC: "52:54:00:11:a0:5b" }),
    (err: Error) => {
      assert.ok(err instanceof SettingError);
      const lines = err.message.split("\n");
      assert.ok(
        lines.includes("/w/windows-image-build.ini line 3: write 'name = value', e.g. 'IMAGESIZE=30G'"),
      );
      assert.ok(lines.some((l) => /^ISO2016 is not set \(.*\): do 'export ISO2016=FILE.iso'/.test(l)));
      assert.ok(lines.some((l) => /^KEY2016 is not set \(.*\): do 'export KEY2016=none'/.test(l)));
      assert.ok(lines.some((l) => /line 2: unknown setting NETMSK; known: .*NETMASK/.test(l)));
      assert.ok(
        lines.includes(
          "IMAGESIZE=30 (from /w/windows-image-build.ini) is refused: write a size such as 30G, 40960M or 1T",
        ),
      );
      assert.ok(
        lines.includes(
          "INSTALLMAC=52:54:00:11:a0:5b (from the environment) is refused: write a MAC with dashes, e.g. 52-54-00-11-a0-5b",
        ),
      );
      return true;
    },
  );
  assert.throws(
    () => resolveSettings("2012", undefined, { ISO2012: "a.iso", KEY2012: "12345" }),
    /KEY2012=12345 .*XXXXX-XXXXX/,
  );
  assert.throws(
    () => resolveSettings("2012", undefined, { ISO2012: "../a.iso", KEY2012: "none" }),
    /ISO2012=..\/a.iso .*without a directory/,
  );
  assert.throws(
    () =>
      resolveSettings("2012", undefined, {
        ISO2012: "a.iso",
        KEY2012: "none",
        EXTRA_INSTALLERS: Array(13).fill("x.exe").join(" "),
      }),
    /at most 12 installers/,
  );
});

test("docs/windows-image-build.ini is the documented defaults, and reads back as them", () => {
  const text = readFileSync(join(repoRoot, "docs/windows-image-build.ini"), "utf8");
  assert.equal(text, defaultIni("2012"));
  const uncommented = text.replace(/^#([A-Z_0-9]+=)/gm, "$1").replace(/^(ISO|KEY)2012=$/gm, "");
  const s = resolveSettings("2012", { path: "x", text: uncommented }, { ISO2012: "a.iso", KEY2012: "none" });
  assert.deepEqual(s, resolveSettings("2012", undefined, { ISO2012: "a.iso", KEY2012: "none" }));
});

test("step 1 via the command: a damaged resource is named; then install-params/ holds the build's values", async () => {
  const ws = join(root, "ws1");
  mkdirSync(join(ws, "resources"), { recursive: true });
  const iso = randomBytes(4096);
  writeFileSync(join(ws, "resources", "win2012.iso"), iso);
  writeFileSync(join(ws, "resources", "virtio-win-0.1-74.iso"), "virtio");
  writeFileSync(join(ws, "resources", "MD5SUMS"), `${"0".repeat(32)}  win2012.iso\n`);
  writeFileSync(join(ws, "windows-image-build.ini"), "KEY2012=none\nIMAGESIZE=40G\n");
  const dir = join(ws, "build");
  assert.equal((await utils(ws, {}, dir, "0-init", "2012")).code, 0);

  const damaged = await utils(ws, { ISO2012: "win2012.iso" }, dir, "-do-next");
  assert.equal(damaged.code, 1);
  assert.match(
    damaged.stderr,
    new RegExp(`win2012.iso has md5 ${md5(iso)}, but MD5SUMS says 0{32}: the file is damaged`),
  );
  assert.equal(readFileSync(join(dir, "nextstep"), "utf8").trim(), "1-setup-install");
  assert.ok(!existsSync(join(dir, "install-params")), "nothing captured by a failed step");

  writeFileSync(join(ws, "resources", "MD5SUMS"), `${md5(iso)}  win2012.iso\n`);
  const ok = await utils(ws, { ISO2012: "win2012.iso", WINLANG: "en-US" }, dir, "-do-next");
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /nextstep is now 2-create-floppy-image-with-answer-file/);
  const p = await readInstallParams(dir);
  assert.equal(p.winIso, join(ws, "resources", "win2012.iso"));
  assert.equal(p.virtioIso, join(ws, "resources", "virtio-win-0.1-74.iso"));
  assert.equal(p.winKey, "none");
  assert.equal(p.winLang, "en-US");
  assert.equal(p.imageSize, "40G");
  assert.equal(p.ansFile, "Autounattend-2012-en-US.xml");
  // Automatic builds: the needles beside the build by default, the shipped console script.
  assert.equal(p.needlesDir, join(ws, "needles", "2012-en-US"));
  assert.match(p.consoleScript, /guest\/windows\/console-scripts\/2012-en-US.yaml$/);
  assert.ok(existsSync(p.consoleScript));
  assert.equal(p.keyRate, 40);
  assert.equal(readFileSync(join(dir, "install-params", "WINISO"), "utf8").trim(), p.winIso);

  // Later steps read install-params/ only: a changed environment changes nothing.
  const again = await readInstallParams(dir);
  assert.deepEqual(again, p);
});

let server: Server;
let baseUrl: string;
const big = randomBytes(3 * 1024 * 1024);
const requests: (string | undefined)[] = [];
let breakFirst = true;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/res/virtio-win-0.1.262.iso") {
      requests.push(req.headers.range);
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { "content-length": String(big.length - start) });
      if (breakFirst) {
        // A connection that breaks off half way.
        breakFirst = false;
        res.write(big.subarray(start, start + big.length / 2));
        setTimeout(() => res.destroy(), 50);
        return;
      }
      res.end(big.subarray(start));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/res/`;
});
after(() => server.close());

test("step 1 fetches what is missing from RESOURCES, resumes a broken download, and names what it cannot get", async () => {
  const ws = join(root, "ws2");
  mkdirSync(join(ws, "resources"), { recursive: true });
  writeFileSync(join(ws, "resources", "win2019.iso"), "iso");
  writeFileSync(join(ws, "resources", "MD5SUMS"), `${md5(big)}  virtio-win-0.1.262.iso\n`);
  const dir = join(ws, "build");
  await utils(ws, {}, dir, "0-init", "2019");
  const env = { ISO2019: "win2019.iso", KEY2019: "none", RESOURCES: baseUrl, EXTRA_INSTALLERS: "agent.msi" };

  const broken = await utils(ws, env, dir, "-do-next");
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /fetching virtio-win-0.1.262.iso from http/);
  assert.match(
    broken.stderr,
    /virtio-win-0.1.262.iso: the download failed .*run the step again to resume it/,
  );
  assert.match(broken.stderr, /agent.msi: the download failed \(.*HTTP 404/);
  const partial = join(ws, "resources", "virtio-win-0.1.262.iso.partial");
  // What arrived before the connection broke is kept (up to the half sent).
  const kept = statSync(partial).size;
  assert.ok(kept > 0 && kept <= big.length / 2, `${kept} bytes kept`);

  const resumed = await utils(ws, { ...env, EXTRA_INSTALLERS: "" }, dir, "-do-next");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(requests, [undefined, `bytes=${kept}-`]);
  assert.ok(readFileSync(join(ws, "resources", "virtio-win-0.1.262.iso")).equals(big));
  assert.ok(!existsSync(partial));
  assert.match(resumed.stdout, /virtio-win-0.1.262.iso: 100% \(3 of 3 MiB\)/);
  assert.match(resumed.stdout, /checking the md5 of virtio-win-0.1.262.iso/);

  const dir2 = join(ws, "build2");
  await utils(ws, {}, dir2, "0-init", "2019");
  const missing = await utils(ws, { ISO2019: "other.iso", KEY2019: "none" }, dir2, "-do-next");
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /other.iso is missing: the Windows Server 2019 installation ISO; get it from Microsoft \(.*evalcenter\) and put it in .*\/resources\//,
  );
});

test("step 2: a 1.44 MB FAT floppy with the answer files, the scripts, the installers and the key line, in CRLF", async () => {
  const ws = join(root, "ws3");
  mkdirSync(join(ws, "resources"), { recursive: true });
  for (const f of ["win.iso", "virtio-win-0.1.262.iso"]) writeFileSync(join(ws, "resources", f), "x");
  const agent = randomBytes(200 * 1024);
  writeFileSync(join(ws, "resources", "agent.msi"), agent);
  const dir = join(ws, "build");
  await utils(ws, {}, dir, "0-init", "2022");
  const env = { ISO2022: "win.iso", KEY2022: "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY", EXTRA_INSTALLERS: "agent.msi" };
  assert.equal((await utils(ws, env, dir, "-do-next")).code, 0);
  const step2 = await utils(ws, {}, dir, "-do-next");
  assert.equal(step2.code, 0, step2.stderr);
  assert.match(step2.stdout, /run-sysprep.cmd sets the product key/);
  assert.match(step2.stdout, /nextstep is now 3-boot-with-install-iso-and-floppy/);
  const floppy = join(dir, "answerfile-floppy.img");
  assert.equal(statSync(floppy).size, 1474560);
  const mtools = (tool: string, ...args: string[]) =>
    run(tool, ["-i", floppy, ...args], { ...process.env, MTOOLS_SKIP_CHECK: "1" });
  const info = await mtools("minfo", "::");
  assert.match(info.stdout, /disk type="FAT12/);
  assert.match(info.stdout, /disk label="WAKAME /);
  const listed = (await mtools("mdir", "-b", "::")).stdout
    .split("\n")
    .map((l) => l.replace(/^::\//, "").trim());
  for (const f of [
    "Autounattend.xml",
    "Unattend-for-first-boot.xml",
    "FinalStepsForInstall.cmd",
    "SetupComplete-install.cmd",
    "SetupComplete-firstboot.cmd",
    "run-sysprep.cmd",
    "sysprep-for-backup.cmd",
    "wakame-functions.ps1",
    "wakame-init-first-boot.ps1",
    "wakame-init-every-boot.ps1",
    "wakame-init-every-boot.cmd",
    "wakame-protocol.ps1",
    "agent.msi",
  ]) {
    assert.ok(listed.includes(f), `${f} on the floppy (${listed.join(", ")})`);
  }
  const type = async (f: string) => (await mtools("mtype", `::${f}`)).stdout;
  const sysprep = await type("run-sysprep.cmd");
  assert.match(
    sysprep,
    /\r\nstart "" \/wait "A:\\agent.msi"\r\ncscript \/\/b C:\\Windows\\System32\\slmgr.vbs \/ipk ABCDE-FGHIJ-KLMNO-PQRST-UVWXY\r\n/,
  );
  assert.ok(!/[^\r]\n/.test(sysprep), "CRLF line ends");
  const answer = await type("Autounattend.xml");
  assert.match(answer, /<Value>Windows Server 2022 SERVERSTANDARD<\/Value>/);
  assert.match(answer, /<Key>ABCDE-FGHIJ-KLMNO-PQRST-UVWXY<\/Key>/);
  assert.match(answer, /<UILanguage>en-US<\/UILanguage>/);
  const copied = execFileSync("mcopy", ["-n", "-i", floppy, "::agent.msi", "-"], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  assert.equal(md5(copied), md5(agent), "the installer unchanged");

  const status = await utils(ws, {}, dir, "-status");
  assert.match(
    status.stdout,
    /\[ {4}\] 12-M-finish-installer-agent {2}\(manual: -done\)\n {2}\[ {4}\] 24-wait-for-shutdown/,
  );
});

test("Windows 11 and Server 2025: UEFI, Secure Boot and a TPM by default, and their minimums enforced with the setting that mends each", () => {
  const given = (version: "11" | "2025" | "2022", env: Record<string, string> = {}) =>
    resolveSettings(version, undefined, { [`ISO${version}`]: "w.iso", [`KEY${version}`]: "none", ...env });
  const eleven = given("11");
  assert.deepEqual(
    ["FIRMWARE", "SECUREBOOT", "TPM", "MEMORY", "CPUS", "IMAGESIZE", "IMAGENAME", "VIRTIOPATHS"].map((n) =>
      eleven.get(n),
    ),
    [
      "uefi",
      "yes",
      "yes",
      "4096",
      "2",
      "64G",
      "Windows 11 Pro",
      "E:\\viostor\\w11\\amd64;E:\\NetKVM\\w11\\amd64;E:\\vioscsi\\w11\\amd64",
    ],
  );
  assert.deepEqual(
    ["FIRMWARE", "SECUREBOOT", "TPM", "MEMORY", "IMAGESIZE"].map((n) => given("2025").get(n)),
    ["uefi", "yes", "yes", "2048", "40G"],
  );
  assert.deepEqual(
    ["FIRMWARE", "SECUREBOOT", "TPM"].map((n) => given("2022").get(n)),
    ["bios", "", ""],
  );
  const refused = (version: "11" | "2025" | "2022", env: Record<string, string>) => {
    try {
      given(version, env);
    } catch (err) {
      assert.ok(err instanceof SettingError);
      return err.message.split("\n");
    }
    assert.fail(`${version} ${JSON.stringify(env)} was taken`);
  };
  assert.deepEqual(refused("11", { MEMORY: "2048", IMAGESIZE: "40960M", CPUS: "1" }), [
    "MEMORY=2048 is below Windows 11's system requirements: write MEMORY=4096 or more",
    "CPUS=1 is below Windows 11's system requirements: write CPUS=2 or more",
    "IMAGESIZE=40960M is below Windows 11's system requirements: write IMAGESIZE=64G or more",
  ]);
  assert.deepEqual(refused("11", { FIRMWARE: "bios", SECUREBOOT: "", TPM: "" }), [
    "Windows 11 setup refuses a PC without UEFI, Secure Boot and a TPM 2.0: write FIRMWARE=uefi, SECUREBOOT=yes, TPM=yes",
  ]);
  assert.deepEqual(refused("2025", { IMAGESIZE: "30G" }), [
    "IMAGESIZE=30G is below Windows Server 2025's system requirements (Desktop Experience): write IMAGESIZE=32G or more",
  ]);
  // Server 2025 may be built on BIOS; Secure Boot never is.
  assert.equal(given("2025", { FIRMWARE: "bios", SECUREBOOT: "" }).get("FIRMWARE"), "bios");
  assert.deepEqual(refused("2022", { SECUREBOOT: "yes" }), [
    "SECUREBOOT=yes needs FIRMWARE=uefi: Secure Boot is a UEFI feature",
  ]);
  assert.deepEqual(refused("2022", { FIRMWARE: "efi", OVMF_VARS: "vars.fd" }), [
    "FIRMWARE=efi (from the environment) is refused: write uefi or bios",
    "OVMF_VARS=vars.fd (from the environment) is refused: write the variable store's absolute path",
  ]);
});
