// The Windows guest scripts and answer files, checked without Windows: every
// PowerShell file parses with a real PowerShell grammar (tree-sitter) and
// calls only what PowerShell 2.0 has or what the scripts define; the
// protocol's paths come from the model; the encryption is OAEP; every answer
// file is well formed with the passes and components its version needs.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { before, test } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Language, type Node, Parser } from "web-tree-sitter";
import { windowsLanguages } from "../../src/imagebuild/build-settings.js";
import {
  answerFileValues,
  fillTemplate,
  floppyFiles,
  guestScripts,
  runSysprep,
  temporaryPassword,
} from "../../src/imagebuild/floppy-content.js";
import { windowsVersions } from "../../src/imagebuild/windows-versions.js";
import { protocolPowerShell, protocolVariables } from "../../src/model/guest-protocol-scripts.js";
import { installParams } from "../helpers/install-params.js";
import { repoRoot } from "../helpers/paths.js";

const guestDir = join(repoRoot, "guest", "windows");
const scripts = readdirSync(guestDir).filter((f) => f.endsWith(".ps1"));
const source = (name: string) => readFileSync(join(guestDir, name), "utf8");
let parser: Parser;

before(async () => {
  await Parser.init();
  const require = createRequire(import.meta.url);
  const wasm = require.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm");
  parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
});

function parse(text: string): Node {
  const tree = parser.parse(text);
  assert.ok(tree);
  return tree.rootNode;
}

function nodes(root: Node, type: string): Node[] {
  return root.descendantsOfType(type).filter((n): n is Node => n !== null);
}

/** Where the tree has error or missing nodes: "line:column text". */
function problems(root: Node): string[] {
  const found: string[] = [];
  const walk = (n: Node) => {
    if (n.isError || n.isMissing)
      found.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.text.slice(0, 40)}`);
    for (const c of n.children) if (c) walk(c);
  };
  walk(root);
  return found;
}

test("the parser finds the mistakes it is trusted to find", () => {
  assert.notDeepEqual(problems(parse("if ($a -eq {\n  Write-Output 'x'\n")), []);
  assert.notDeepEqual(problems(parse("function F {\n  $x = (1 + \n}\n")), []);
  assert.deepEqual(problems(parse("function F {\n  param([string]$A)\n  return $A\n}\n")), []);
});

test("every PowerShell file parses without error nodes, the generated protocol file too", () => {
  assert.deepEqual(scripts.sort(), [
    "wakame-functions.ps1",
    "wakame-init-every-boot.ps1",
    "wakame-init-first-boot.ps1",
  ]);
  for (const name of scripts) assert.deepEqual(problems(parse(source(name))), [], name);
  assert.deepEqual(problems(parse(protocolPowerShell())), [], "wakame-protocol.ps1");
});

// What PowerShell 2.0 (Windows Server 2008 R2) has, of what the scripts may
// call, and the Windows programs they run. Newer cmdlets (Get-CimInstance,
// Get-NetAdapter, ConvertFrom-Json, Invoke-WebRequest) are not here.
const powershell2 = new Set(
  [
    "ForEach-Object",
    "Remove-Item",
    "Get-ChildItem",
    "Get-Date",
    "Get-WmiObject",
    "Join-Path",
    "New-Object",
    "Out-Null",
    "Set-ItemProperty",
    "Sort-Object",
    "Split-Path",
    "Start-Sleep",
    "Stop-Computer",
    "Test-Path",
    "Where-Object",
    "Write-Output",
    "cmd",
    "cscript",
    "netsh",
    "schtasks",
  ].map((c) => c.toLowerCase()),
);

test("the scripts call only PowerShell 2.0's cmdlets, Windows' programs, and their own functions", () => {
  const defined = new Set<string>();
  const called = new Map<string, string>();
  for (const name of scripts) {
    const root = parse(source(name));
    for (const f of nodes(root, "function_name")) defined.add(f.text.toLowerCase());
    for (const c of nodes(root, "command_name")) called.set(c.text.toLowerCase(), name);
  }
  assert.ok(defined.has("protect-password") && defined.has("new-initialpassword"));
  for (const [command, where] of called) {
    assert.ok(powershell2.has(command) || defined.has(command), `${where} calls ${command}`);
  }
  const all = scripts.map(source).join("\n");
  for (const newer of [
    "$PSScriptRoot",
    "[ordered]",
    " -in ",
    " -notin ",
    "ConvertFrom-Json",
    "Get-CimInstance",
    // Operators of PowerShell 3.0 and later.
    " -shl ",
    " -shr ",
    "[pscustomobject]",
  ]) {
    assert.ok(!all.includes(newer), `${newer} is not in PowerShell 2.0`);
  }
});

/** PowerShell's own variables in capitals. */
const automatic = new Set(["LASTEXITCODE"]);

test("the scripts' protocol variables are the model's, and every one they use is defined", () => {
  const vars = protocolVariables();
  const generated = parse(protocolPowerShell());
  const assigned = new Map<string, string>();
  for (const a of nodes(generated, "assignment_expression")) {
    const [name, , value] = a.children;
    assigned.set(name!.text.replace(/^\$/, ""), value!.text.replace(/^'(.*)'$/, "$1"));
  }
  for (const [name, value] of Object.entries(vars)) {
    assert.equal(
      assigned.get(name),
      typeof value === "number" ? String(value) : value.replaceAll("/", "\\"),
      name,
    );
  }
  assert.equal(assigned.get("META_PW_ENC"), "meta-data\\pw.enc");
  assert.equal(assigned.get("PASSWORD_LENGTH"), "10");
  assert.equal(assigned.get("PASSWORD_MIN_NON_ALPHANUMERIC"), "2");
  for (const name of scripts) {
    for (const v of nodes(parse(source(name)), "variable")) {
      const id = v.text.replace(/^\$/, "");
      if (/^[A-Z][A-Z0-9_]+$/.test(id) && !automatic.has(id))
        assert.ok(id in vars, `${name} uses $${id}, which the protocol does not define`);
    }
  }
  // The scripts' code names no metadata path of its own (comments may).
  for (const name of scripts) {
    const root = parse(source(name));
    const code = nodes(root, "comment").reduce((text, c) => text.replace(c.text, ""), source(name));
    assert.ok(!code.includes("meta-data"), `${name} spells a path itself`);
  }
});

test("the password is encrypted with RSA-OAEP (SHA-1) from the OpenSSH key; every boot leaves it alone", () => {
  const functions = parse(source("wakame-functions.ps1"));
  const body = (fn: string) =>
    nodes(functions, "function_statement").find((f) => f.text.includes(`function ${fn}`))?.text ?? "";
  const protect = body("Protect-Password");
  assert.match(protect, /\$rsa\.Encrypt\(\$plain, \$true\)/, "Encrypt(data, true) is OAEP with SHA-1");
  assert.match(protect, /\[System\.Text\.Encoding\]::UTF8\.GetBytes\(\$Password\)/);
  const key = body("ConvertFrom-OpenSshRsaKey");
  assert.match(key, /'ssh-rsa'/);
  assert.match(key, /RSACryptoServiceProvider/);
  assert.match(
    key,
    /\$parameters\.Exponent = \$exponent[\s\S]*\$parameters\.Modulus = \$modulus/,
    "e comes before n in the key blob",
  );
  const everyBoot = body("Invoke-EveryBoot");
  assert.ok(everyBoot.length > 0 && !/Password/.test(everyBoot), "every boot never touches the password");
});

const xml = new XMLParser({
  ignoreAttributes: false,
  parseTagValue: false,
  isArray: (n) => ["settings", "component", "PathAndCredentials", "RunSynchronousCommand"].includes(n),
});
type Component = { "@_name": string };
/** The components of a pass, by name; each read as the shape a test expects. */
function components(doc: string, pass: string): { get<T>(name: string): T } {
  const u = xml.parse(doc).unattend as { settings: { "@_pass": string; component: Component[] }[] };
  const s = u.settings.find((x) => x["@_pass"] === pass);
  assert.ok(s, `pass ${pass}`);
  const byName = new Map(s.component.map((c) => [c["@_name"], c]));
  return {
    get<T>(name: string) {
      assert.ok(byName.has(name), `${pass} has ${name}`);
      return byName.get(name) as T;
    },
  };
}

test("Autounattend.xml for every version and language: well formed, with the passes and components setup needs", () => {
  const template = source("Autounattend.xml.template");
  for (const version of windowsVersions) {
    for (const lang of windowsLanguages) {
      for (const key of ["none", "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"]) {
        const p = installParams(version, lang, key);
        const doc = fillTemplate(template, answerFileValues(p, "Wk-first-boot-9!"));
        const at = `${version} ${lang} key ${key}`;
        assert.equal(XMLValidator.validate(doc), true, at);
        const pe = components(doc, "windowsPE");
        const drivers = pe.get<{ DriverPaths: { PathAndCredentials: { Path: string }[] } }>(
          "Microsoft-Windows-PnpCustomizationsWinPE",
        );
        assert.deepEqual(
          drivers.DriverPaths.PathAndCredentials.map((x) => x.Path),
          p.virtioPaths,
          at,
        );
        const intl = pe.get<Record<string, unknown>>("Microsoft-Windows-International-Core-WinPE");
        assert.equal(intl.UILanguage, lang, at);
        assert.equal(intl.UserLocale, lang, at);
        assert.equal("LayeredDriver" in intl, lang === "ja-JP", `${at}: the Japanese keyboard`);
        const setup = pe.get<{
          ImageInstall: { OSImage: { InstallFrom: { MetaData: { Key: string; Value: string } } } };
          UserData: { AcceptEula: string; ProductKey?: { Key: string } };
          DiskConfiguration: unknown;
        }>("Microsoft-Windows-Setup");
        assert.deepEqual(setup.ImageInstall.OSImage.InstallFrom.MetaData, {
          Key: "/IMAGE/NAME",
          Value: p.imageName,
          "@_wcm:action": "add",
        });
        assert.equal(setup.UserData.AcceptEula, "true");
        assert.equal(setup.UserData.ProductKey?.Key, key === "none" ? undefined : key, at);
        assert.ok(setup.DiskConfiguration, at);
        const deploy = components(doc, "specialize").get<{
          RunSynchronous: { RunSynchronousCommand: { Path: string }[] };
        }>("Microsoft-Windows-Deployment");
        assert.equal(deploy.RunSynchronous.RunSynchronousCommand[0]!.Path, "A:\\FinalStepsForInstall.cmd");
        const shell = components(doc, "oobeSystem").get<{
          UserAccounts: { AdministratorPassword: { Value: string } };
        }>("Microsoft-Windows-Shell-Setup");
        assert.equal(shell.UserAccounts.AdministratorPassword.Value, temporaryPassword);
        assert.ok(!doc.includes("{{"), at);
      }
    }
  }
});

test("the answer file's disk: MBR with an active Boot partition on BIOS; GPT with EFI, MSR and Windows on UEFI; Windows 11's OOBE asks nothing", () => {
  const template = source("Autounattend.xml.template");
  const disk = (p: ReturnType<typeof installParams>) => {
    const doc = fillTemplate(template, answerFileValues(p, "Wk-first-boot-9!"));
    assert.equal(XMLValidator.validate(doc), true);
    const setup = components(doc, "windowsPE").get<{
      DiskConfiguration: {
        Disk: {
          CreatePartitions: { CreatePartition: { Type: string; Size?: number; Extend?: string }[] };
          ModifyPartitions: {
            ModifyPartition: { Order: number; PartitionID: number; Format: string; Active?: string }[];
          };
        };
      };
      ImageInstall: { OSImage: { InstallTo: { PartitionID: number } } };
    }>("Microsoft-Windows-Setup");
    const d = setup.DiskConfiguration.Disk;
    const shell = components(doc, "oobeSystem").get<{ OOBE: Record<string, unknown> }>(
      "Microsoft-Windows-Shell-Setup",
    );
    return {
      create: d.CreatePartitions.CreatePartition.map((c) => `${c.Type} ${c.Size ?? "rest"}`),
      modify: d.ModifyPartitions.ModifyPartition.map(
        (m) => `${m.Order}:${m.PartitionID} ${m.Format}${m.Active ? " active" : ""}`,
      ),
      windows: Number(setup.ImageInstall.OSImage.InstallTo.PartitionID),
      oobe: Object.keys(shell.OOBE).filter((k) => k.startsWith("Hide")),
    };
  };
  assert.deepEqual(disk(installParams("2012", "ja-JP", "none")), {
    create: ["Primary 350", "Primary rest"],
    modify: ["1:1 NTFS active", "2:2 NTFS"],
    windows: 2,
    oobe: ["HideEULAPage"],
  });
  assert.deepEqual(disk({ ...installParams("2025", "en-US", "none"), firmware: "uefi" }), {
    create: ["EFI 100", "MSR 16", "Primary rest"],
    modify: ["1:1 FAT32", "2:3 NTFS"],
    windows: 3,
    oobe: ["HideEULAPage"],
  });
  assert.deepEqual(disk({ ...installParams("11", "ja-JP", "none"), firmware: "uefi" }).oobe, [
    "HideEULAPage",
    "HideOnlineAccountScreens",
    "HideLocalAccountScreen",
    "HideWirelessSetupInOOBE",
    "HideOEMRegistrationScreen",
  ]);
});

test("the first-boot answer file: well formed, no rearm, quiet OOBE in the build's language, the build's own password", () => {
  const template = source("Unattend-for-first-boot.xml.template");
  for (const version of windowsVersions) {
    for (const lang of windowsLanguages) {
      const doc = fillTemplate(
        template,
        answerFileValues(installParams(version, lang, "none"), "Wk-a<b&c-9!"),
      );
      assert.equal(XMLValidator.validate(doc), true);
      const spp = components(doc, "generalize").get<{
        SkipRearm: string;
      }>("Microsoft-Windows-Security-SPP");
      assert.equal(spp.SkipRearm, "1");
      const oobe = components(doc, "oobeSystem");
      assert.equal(oobe.get<{ UILanguage: string }>("Microsoft-Windows-International-Core").UILanguage, lang);
      const shell = oobe.get<{
        OOBE: { HideEULAPage: string };
        UserAccounts: { AdministratorPassword: { Value: string } };
      }>("Microsoft-Windows-Shell-Setup");
      assert.equal(shell.OOBE.HideEULAPage, "true");
      // Escaped in the file (else it would not be well formed), the same password when read.
      assert.ok(doc.includes("Wk-a&lt;b&amp;c-9!"));
      assert.equal(shell.UserAccounts.AdministratorPassword.Value, "Wk-a<b&c-9!");
    }
  }
});

test("run-sysprep.cmd: the extra installers, then the product key unless none, then sysprep", () => {
  const base = source("run-sysprep.cmd");
  const withKey = runSysprep(installParams("2012", "ja-JP", "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"), base);
  const lines = withKey.split("\n");
  const installer = lines.indexOf('start "" /wait "A:\\agent setup.msi"');
  const key = lines.indexOf(
    "cscript //b C:\\Windows\\System32\\slmgr.vbs /ipk ABCDE-FGHIJ-KLMNO-PQRST-UVWXY",
  );
  const sysprep = lines.findIndex((l) => l.startsWith("sysprep.exe /generalize /oobe /shutdown"));
  assert.ok(installer > 0 && key > installer && sysprep > key, withKey);
  const noKey = runSysprep(installParams("2012", "ja-JP", "none"), base).split("\n");
  assert.ok(!noKey.some((l) => l.includes("slmgr") && !l.startsWith("REM")), "no key line with KEY=none");
});

test("FinalStepsForInstall.cmd copies every script the later phases run", () => {
  const copied = [...source("FinalStepsForInstall.cmd").matchAll(/copy \/y A:\\(\S+)/g)].map((m) => m[1]);
  for (const needed of [
    ...guestScripts.filter((s) => s !== "FinalStepsForInstall.cmd" && s !== "SetupComplete-install.cmd"),
    "wakame-protocol.ps1",
    "Unattend-for-first-boot.xml",
  ]) {
    assert.ok(copied.includes(needed), `${needed} is not copied`);
  }
  assert.match(
    source("FinalStepsForInstall.cmd"),
    /copy \/y A:\\SetupComplete-install\.cmd C:\\Windows\\Setup\\Scripts\\SetupComplete\.cmd/,
  );
  assert.match(
    source("SetupComplete-firstboot.cmd"),
    /-File C:\\Windows\\Setup\\Scripts\\wakame-init-first-boot\.ps1/,
  );
  assert.match(source("wakame-functions.ps1"), /Join-Path \$ScriptDir 'wakame-init-every-boot\.cmd'/);
  // Sysprep for backup runs the copy beside the scripts (C:\Windows\Setup\Scripts\).
  assert.match(
    source("FinalStepsForInstall.cmd"),
    /copy \/y A:\\sysprep-for-backup\.cmd C:\\Windows\\Setup\\Scripts\\\r?\n/,
  );
  assert.match(source("wakame-functions.ps1"), /Join-Path \$ScriptDir 'sysprep-for-backup\.cmd'/);
});

// The passes and components each version's answer files need: the same for
// every version the builder supports, written out per version so that a
// version that comes to need more shows here.
const neededComponents: Record<
  "Autounattend.xml" | "Unattend-for-first-boot.xml",
  Record<string, string[]>
> = {
  "Autounattend.xml": {
    windowsPE: [
      "Microsoft-Windows-PnpCustomizationsWinPE",
      "Microsoft-Windows-International-Core-WinPE",
      "Microsoft-Windows-Setup",
    ],
    specialize: ["Microsoft-Windows-Deployment"],
    oobeSystem: ["Microsoft-Windows-Shell-Setup"],
  },
  "Unattend-for-first-boot.xml": {
    generalize: ["Microsoft-Windows-Security-SPP"],
    specialize: ["Microsoft-Windows-Shell-Setup"],
    oobeSystem: ["Microsoft-Windows-International-Core", "Microsoft-Windows-Shell-Setup"],
  },
};
const answerFilesByVersion = Object.fromEntries(windowsVersions.map((v) => [v, neededComponents]));

test("every answer file component names the amd64 architecture and Microsoft's key token, in the passes its version needs", async () => {
  const attributes = new XMLParser({
    ignoreAttributes: false,
    isArray: (n) => ["settings", "component"].includes(n),
  });
  for (const version of windowsVersions) {
    for (const lang of windowsLanguages) {
      const files = await floppyFiles(installParams(version, lang, "none"), "Wk-first-boot-9!");
      for (const [name, passes] of Object.entries(answerFilesByVersion[version]!)) {
        const doc = attributes.parse(files.get(name)!.toString()).unattend as {
          settings: { "@_pass": string; component: Record<string, string>[] }[];
        };
        const found = Object.fromEntries(
          doc.settings.map((s) => [s["@_pass"], s.component.map((c) => c["@_name"])]),
        );
        assert.deepEqual(found, passes, `${version} ${lang} ${name}`);
        for (const c of doc.settings.flatMap((s) => s.component)) {
          const at = `${version} ${lang} ${name} ${c["@_name"]}`;
          assert.equal(c["@_processorArchitecture"], "amd64", at);
          assert.equal(c["@_publicKeyToken"], "31bf3856ad364e35", at);
          assert.equal(c["@_language"], "neutral", at);
          assert.equal(c["@_versionScope"], "nonSxS", at);
        }
      }
    }
  }
});

test("every file the .cmd files and answer files name is where the builder's floppy and FinalStepsForInstall.cmd put it", async () => {
  const p = installParams("2019", "en-US", "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY");
  const files = await floppyFiles(p, "Wk-first-boot-9!");
  const floppy = new Set([...files.keys(), ...p.extraInstallers.map((f) => f.split("/").at(-1)!)]);
  const scripts = "C:\\Windows\\Setup\\Scripts\\";
  // What FinalStepsForInstall.cmd copies from the floppy into the scripts folder.
  const copied = new Set<string>();
  for (const m of files
    .get("FinalStepsForInstall.cmd")!
    .toString()
    .matchAll(/^copy \/y A:\\(\S+) (\S+)\r$/gm)) {
    assert.ok(floppy.has(m[1]!), `FinalStepsForInstall.cmd copies A:\\${m[1]}, which the floppy lacks`);
    copied.add(m[2]!.endsWith("\\") ? `${m[2]}${m[1]}` : m[2]!);
  }
  // Windows' own files the scripts run.
  const windows = new Set(["C:\\Windows\\System32\\sysprep", "C:\\Windows\\System32\\slmgr.vbs"]);
  let checked = 0;
  for (const [name, bytes] of files) {
    if (!/\.(cmd|xml)$/.test(name)) continue;
    // Comments name paths in prose: only commands and values count.
    for (const line of bytes
      .toString()
      .replace(/<!--[\s\S]*?-->/g, "")
      .split("\r\n")) {
      if (/^\s*REM /.test(line)) continue;
      for (const m of line.matchAll(/"([AC]:\\[^"]+)"|(?<![>\w])([AC]:\\[^\s"<>]+)/g)) {
        const path = (m[1] ?? m[2])!;
        // A log the line writes, a folder it makes, a copy's target: made there, not expected there.
        const made = new RegExp(`(>>?|mkdir|copy /y \\S+) ${path.replaceAll("\\", "\\\\")}(\\s|$)`).test(
          line,
        );
        if (made || path === scripts.slice(0, -1)) continue;
        checked++;
        const at = `${name}: ${path}`;
        if (path.startsWith("A:\\")) assert.ok(floppy.has(path.slice(3)), at);
        else if (path.startsWith(scripts)) assert.ok(copied.has(path), at);
        else assert.ok(windows.has(path), at);
      }
    }
  }
  assert.ok(checked >= 8, `${checked} paths checked`);
});
