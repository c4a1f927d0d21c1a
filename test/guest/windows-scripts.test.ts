// The Windows guest scripts executed: real PowerShell 7 in strict mode 2.0,
// the scripts as the builder's floppy holds them, the metadata drive written
// by the host agent's own code, only the Windows effects replaced (each call
// recorded). What the scripts write is then read by the host agent's
// collection code and decrypted as the user does (mussel's module, and
// openssl); what a real Windows alone can show is in docs/guest-scripts.md.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { collectPassword } from "../../src/hva/first-boot.js";
import { putMetadataFile } from "../../src/hva/metadata-drive.js";
import { type MetadataContent, metadataPaths, passwordRules } from "../../src/model/guest-protocol.js";
import { decryptPassword } from "../../src/model/password-crypto.js";
import { readPrivateKey } from "../../src/model/ssh-private-key.js";
import { firstBootMetadata } from "../../src/testguest/client.js";
import {
  type EffectCall,
  guestScriptsFolder,
  guestTempDir,
  metadataTree,
  removeGuestFiles,
  runGuest,
  syncPwEnc,
  withoutPwsh,
} from "../helpers/windows-guest.js";

const mac = "52:54:00:12:34:56";
let scripts = "";

interface Key {
  /** The private key file (PEM). */
  file: string;
  publicKey: string;
}

function rsaKey(bits: number, comment: string): Key {
  const file = join(guestTempDir("key"), "key");
  execFileSync("ssh-keygen", [
    "-q",
    "-t",
    "rsa",
    "-b",
    String(bits),
    "-m",
    "PEM",
    "-N",
    "",
    "-C",
    comment,
    "-f",
    file,
  ]);
  return { file, publicKey: readFileSync(`${file}.pub`, "utf8") };
}

const called = (effects: EffectCall[], name: string) => effects.filter((e) => e.effect === name);
const pwEnc = (root: string) => join(root, metadataPaths.encryptedPassword);

/** A first boot run on the host agent's drive for `content`; `edit` may change the volume's files first. */
async function firstBoot(content: MetadataContent, edit: (root: string) => void = () => {}, failures = 0) {
  const tree = await metadataTree(content);
  edit(tree.root);
  const hostsFile = join(guestTempDir("hosts"), "hosts");
  const run = await runGuest(scripts, `Invoke-FirstBoot '${tree.root}'`, {
    macs: [mac],
    hostsFile,
    passwordFailures: failures,
  });
  return { tree, run, hostsFile };
}

/** Nothing of pw.enc on the volume, not even half of it. */
function assertNoPwEnc(root: string) {
  const dir = join(root, "meta-data");
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith("pw.enc")),
    [],
    "no pw.enc and no temporary file beside it",
  );
}

describe("the Windows guest scripts, run", { skip: withoutPwsh, concurrency: false }, () => {
  before(async () => {
    scripts = await guestScriptsFolder();
  });
  after(removeGuestFiles);

  for (const [bits, comment, crlf] of [
    [2048, "user@workstation", false],
    [2048, "", true],
    [3072, "a comment with spaces", true],
    [3072, "", false],
    [4096, "user@workstation", false],
    [4096, "", true],
  ] as const) {
    const label = `${bits}-bit key, ${comment ? "with a comment" : "no comment"}, ${crlf ? "CRLF" : "LF"}`;
    test(`first boot with a ${label}: pw.enc is collected by the host and decrypts to the password set`, async () => {
      const key = rsaKey(bits, comment);
      const line = key.publicKey.trim() + (crlf ? "\r\n" : "\n");
      const { tree, run } = await firstBoot(firstBootMetadata(line), (root) => {
        // As a volume written on Windows would hold it.
        if (crlf) writeFileSync(join(root, metadataPaths.publicKey), line);
      });
      assert.equal(run.stderr, "");
      assert.equal(run.code, 0);
      const set = called(run.effects, "Set-AdministratorPassword");
      assert.equal(set.length, 1, run.log.join("\n"));
      const password = set[0]!.args[0] as string;
      assert.equal(readFileSync(pwEnc(tree.root)).length, bits / 8);

      await syncPwEnc(tree);
      const collected = await collectPassword(tree.drive, line);
      assert.ok("encryptedPassword" in collected, JSON.stringify(collected));
      const pem = readFileSync(key.file, "utf8");
      assert.equal(decryptPassword(readPrivateKey(pem), collected.encryptedPassword), password);
      const openssl = execFileSync(
        "openssl",
        ["pkeyutl", "-decrypt", "-inkey", key.file, "-pkeyopt", "rsa_padding_mode:oaep"],
        { input: readFileSync(pwEnc(tree.root)) },
      ).toString();
      assert.equal(openssl, password);

      // The password is set before remote desktop opens; power-off comes last.
      const order = run.effects.map((e) => e.effect);
      assert.ok(order.indexOf("Set-AdministratorPassword") < order.indexOf("Enable-RemoteDesktop"));
      assert.equal(order.at(-1), "Stop-Guest");
      const task = called(run.effects, "Register-EveryBootTask")[0]!.args[0] as string;
      assert.ok(existsSync(task), `the every-boot task runs ${task}, which the floppy holds`);
    });
  }

  test("10,000 passwords keep the rules, are all different, and each class's characters are equally likely", async () => {
    const count = 10_000;
    const run = await runGuest(
      scripts,
      `for ($i = 0; $i -lt ${count}; $i++) { [Console]::Out.WriteLine('PW ' + (New-InitialPassword)) }`,
    );
    assert.equal(run.stderr, "");
    const passwords = run.output.filter((l) => l.startsWith("PW ")).map((l) => l.slice(3));
    assert.equal(passwords.length, count);
    const alphabet = passwordRules.alphabet;
    for (const p of passwords) {
      assert.equal(p.length, passwordRules.length, p);
      assert.ok(
        [...p].every((c) => alphabet.includes(c)),
        `${p}: only the alphabet's characters`,
      );
      assert.ok(p.replace(/[A-Za-z0-9]/g, "").length >= passwordRules.minNonAlphanumeric, p);
      assert.ok(/[A-Z]/.test(p) && /[a-z]/.test(p) && /[0-9]/.test(p), `${p}: the complexity classes`);
    }
    assert.equal(new Set(passwords).size, count, "no password twice");
    for (const [cls, chi2, bound] of classChiSquares(passwords))
      assert.ok(chi2 < bound, `${cls}: chi-square ${chi2.toFixed(1)} is below ${bound.toFixed(1)}`);
    // The bound is one a generator with modulo bias fails (byte % alphabet length, no rejection).
    const biased = Array.from({ length: count }, () => biasedPassword());
    assert.ok(
      classChiSquares(biased).some(([, chi2, bound]) => chi2 > bound),
      "a modulo-biased generator is caught",
    );
  });

  test("a password setter that fails is retried up to retry-gen-password times", async () => {
    const key = rsaKey(2048, "retry");
    const { tree, run } = await firstBoot(
      { ...firstBootMetadata(key.publicKey), retryGenPassword: 4 },
      undefined,
      3,
    );
    assert.equal(run.stderr, "");
    const tries = called(run.effects, "Set-AdministratorPassword");
    assert.equal(tries.length, 4);
    assert.ok(run.log.includes("Administrator password set (try 4)"), run.log.join("\n"));
    await syncPwEnc(tree);
    const collected = await collectPassword(tree.drive, key.publicKey);
    assert.ok("encryptedPassword" in collected);
    assert.equal(
      decryptPassword(readPrivateKey(readFileSync(key.file, "utf8")), collected.encryptedPassword),
      tries[3]!.args[0],
      "the password of the try that worked",
    );
  });

  test("past retry-gen-password: no pw.enc, a log line that says why, and the host reports 'password not generated'", async () => {
    const key = rsaKey(2048, "retry");
    const { tree, run } = await firstBoot(
      { ...firstBootMetadata(key.publicKey), retryGenPassword: 3 },
      undefined,
      3,
    );
    assert.equal(run.stderr, "");
    assert.equal(called(run.effects, "Set-AdministratorPassword").length, 3);
    assert.ok(
      run.log.some((l) => /^no password set after 3 tries \(.*password policy.*\)/.test(l)),
      run.log.join("\n"),
    );
    assertNoPwEnc(tree.root);
    assert.equal(run.effects.at(-1)!.effect, "Stop-Guest", "it still powers off, so the host goes on");
    await syncPwEnc(tree);
    assert.deepEqual(await collectPassword(tree.drive, key.publicKey), {
      error: "password not generated: the guest wrote no pw.enc",
    });
  });

  for (const [label, content, edit, why] of [
    [
      "no key file",
      { publicKey: null },
      undefined,
      /no instance key on the metadata drive \(meta-data.public-keys.0.openssh-key\)/,
    ],
    [
      "an ed25519 key",
      {
        publicKey:
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXyUT4w1mOEtDfHhu8V0jVnRf0Mlsvj7mVUeDuJMd3p user@host",
      },
      undefined,
      /the instance key is a ssh-ed25519 key, not ssh-rsa: only RSA keys can carry a password/,
    ],
    [
      "garbage base64",
      {},
      () => "ssh-rsa !!!not*base64!!! user@host",
      /the instance key is damaged: its text is not base64/,
    ],
    [
      "a truncated key",
      {},
      (line: string) => {
        const b64 = line.split(" ")[1]!;
        return `ssh-rsa ${b64.slice(0, Math.floor(b64.length / 8) * 4)} user@host`;
      },
      /the instance key is cut short: its base64 text is truncated/,
    ],
  ] as const) {
    test(`bad metadata, ${label}: a log line that says so, no pw.enc, nothing half written`, async () => {
      const key = rsaKey(2048, "bad");
      const { tree, run } = await firstBoot({ ...firstBootMetadata(key.publicKey), ...content }, (root) => {
        if (edit) writeFileSync(join(root, metadataPaths.publicKey), `${edit(key.publicKey.trim())}\n`);
      });
      assert.equal(run.stderr, "");
      assert.ok(
        run.log.some((l) => l.startsWith("no encrypted password: ") && why.test(l)),
        run.log.join("\n"),
      );
      assertNoPwEnc(tree.root);
      assert.equal(
        called(run.effects, "Set-AdministratorPassword").length,
        1,
        "the build's password is replaced all the same",
      );
      assert.equal(run.effects.at(-1)!.effect, "Stop-Guest");
    });
  }

  test("no METADATA volume: a log line that says so, nothing written, and the machine powers off", async () => {
    const run = await runGuest(scripts, "Invoke-FirstBoot (Get-MetadataRoot -Tries 3)", { volumeRoot: null });
    assert.equal(run.stderr, "");
    assert.equal(called(run.effects, "Find-VolumeByLabel").length, 3);
    assert.deepEqual(called(run.effects, "Find-VolumeByLabel")[0]!.args, ["METADATA"]);
    assert.ok(
      run.log.includes("no drive labelled METADATA after 3 s: the host gave this machine no metadata"),
    );
    assert.deepEqual(
      run.effects.map((e) => e.effect).filter((e) => e !== "Find-VolumeByLabel" && e !== "Wait-ForVolume"),
      ["Stop-Guest"],
      "no password, no network, nothing else",
    );
  });

  test("the volume found by its label is the root the first boot works on", async () => {
    const key = rsaKey(2048, "label");
    const tree = await metadataTree(firstBootMetadata(key.publicKey));
    const run = await runGuest(scripts, "Invoke-FirstBoot (Get-MetadataRoot)", {
      volumeRoot: tree.root,
      macs: [mac],
      hostsFile: join(guestTempDir("hosts"), "hosts"),
    });
    assert.equal(run.stderr, "");
    assert.ok(run.log.includes(`first boot, metadata on ${tree.root}`), run.log.join("\n"));
    assert.equal(readFileSync(pwEnc(tree.root)).length, 256);
  });

  const twoNics = (changes: Partial<MetadataContent> = {}): MetadataContent => ({
    ...firstBootMetadata(""),
    publicKey: null,
    firstBoot: false,
    interfaces: [
      firstBootMetadata("").interfaces[0]!,
      { mac: "52:54:00:AB:CD:EF", ipv4: "192.168.5.20", netmask: "255.255.0.0", gateway: null, dns: null },
    ],
    ...changes,
  });

  test("every boot: each NIC gets its MAC's address from the metadata; one the metadata does not name stays on DHCP", async () => {
    const tree = await metadataTree(twoNics());
    const hostsFile = join(guestTempDir("hosts"), "hosts");
    const run = await runGuest(scripts, `Invoke-EveryBoot '${tree.root}'`, {
      macs: ["52:54:00:AB:CD:EF", "52:54:00:99:99:99", "52:54:00:12:34:56"],
      hostsFile,
    });
    assert.equal(run.stderr, "");
    assert.deepEqual(
      called(run.effects, "Set-NicAddress").map((e) => e.args),
      [
        ["52:54:00:AB:CD:EF", "192.168.5.20", "255.255.0.0", "", ""],
        ["52:54:00:12:34:56", "10.0.2.15", "255.255.255.0", "10.0.2.2", "10.0.2.3"],
      ],
    );
    assert.ok(run.log.includes("no address in the metadata for NIC 52-54-00-99-99-99; leaving it on DHCP"));
    for (const never of [
      "Set-AdministratorPassword",
      "Stop-Guest",
      "Rename-Guest",
      "Invoke-SysprepForBackup",
    ])
      assert.deepEqual(called(run.effects, never), [], `every boot does not ${never}`);
  });

  test("every boot: the hosts file's lines between the markers are the metadata's extra hosts; the rest is kept; twice, the same file", async () => {
    const tree = await metadataTree(
      twoNics({ extraHosts: { "db-server": "10.0.2.30", "ad.example": "10.0.2.40" } }),
    );
    const hostsFile = join(guestTempDir("hosts"), "hosts");
    const before = [
      "# Copyright (c) 1993-2009 Microsoft Corp.",
      "127.0.0.1 localhost",
      "# wakame-ts extra-hosts begin",
      "10.9.9.9\told-host",
      "# wakame-ts extra-hosts end",
      "::1 localhost",
      "",
    ].join("\n");
    writeFileSync(hostsFile, before);
    const expected = [
      "# Copyright (c) 1993-2009 Microsoft Corp.",
      "127.0.0.1 localhost",
      "::1 localhost",
      "# wakame-ts extra-hosts begin",
      "10.0.2.40\tad.example",
      "10.0.2.30\tdb-server",
      "# wakame-ts extra-hosts end",
      "",
    ].join("\n");
    for (const time of ["first", "second"]) {
      const run = await runGuest(scripts, `Invoke-EveryBoot '${tree.root}'`, { macs: [], hostsFile });
      assert.equal(run.stderr, "", time);
      assert.equal(readFileSync(hostsFile, "utf8"), expected, `${time} run`);
    }
  });

  /** As the host agent's startSysprep does for a backup with generalize=true. */
  const putSysprepForBackup = (drive: string) =>
    putMetadataFile(drive, metadataPaths.sysprepForBackup, Buffer.alloc(0));

  test("every boot with sysprep-for-backup on the drive: sysprep-for-backup.cmd beside the scripts runs instead of the network and hosts steps", async () => {
    const content = twoNics({ extraHosts: { "db-server": "10.0.2.30" } });
    const script = join(scripts, "sysprep-for-backup.cmd");
    for (const [status, outcome] of [
      [0, "sysprep-for-backup.cmd done: sysprep powers the machine off for the host agent"],
      [5, "sysprep-for-backup.cmd failed (status 5): sysprep's logs are in"],
    ] as const) {
      const tree = await metadataTree(content, putSysprepForBackup);
      const hostsFile = join(guestTempDir("hosts"), "hosts");
      const run = await runGuest(scripts, `Invoke-EveryBoot '${tree.root}'`, {
        macs: ["52:54:00:AB:CD:EF", "52:54:00:12:34:56"],
        hostsFile,
        sysprepStatus: status,
      });
      assert.equal(
        existsSync(join(tree.root, metadataPaths.sysprepForBackup)),
        false,
        "the flag is taken off the drive: the host's sign that the guest acted on it",
      );
      assert.equal(run.stderr, "");
      assert.equal(run.code, 0);
      // Sysprep powers the machine off itself; nothing else is done on the way down.
      assert.deepEqual(
        run.effects,
        [{ effect: "Invoke-SysprepForBackup", args: [script] }],
        run.log.join("\n"),
      );
      assert.equal(existsSync(hostsFile), false, "the hosts file is not rewritten");
      assert.ok(
        run.log.includes(
          "meta-data\\sysprep-for-backup on the metadata drive: sysprep for backup (generalize, first boot re-armed, power off)",
        ),
        run.log.join("\n"),
      );
      assert.ok(
        run.log.some((l) => l.startsWith(outcome)),
        run.log.join("\n"),
      );
    }
    // The path called is the floppy's copy, which FinalStepsForInstall.cmd puts beside the scripts.
    assert.match(readFileSync(script, "utf8"), /sysprep\.exe \/generalize \/oobe \/shutdown \/unattend:/);

    // The same drive without the flag: the usual steps, no sysprep.
    const hostsFile = join(guestTempDir("hosts"), "hosts");
    const usual = await runGuest(scripts, `Invoke-EveryBoot '${(await metadataTree(content)).root}'`, {
      macs: ["52:54:00:AB:CD:EF", "52:54:00:12:34:56"],
      hostsFile,
    });
    assert.equal(usual.stderr, "");
    assert.deepEqual(called(usual.effects, "Invoke-SysprepForBackup"), []);
    assert.equal(called(usual.effects, "Set-NicAddress").length, 2);
    assert.match(readFileSync(hostsFile, "utf8"), /10\.0\.2\.30\tdb-server/);
  });

  test("first boot: hostname from the metadata, firewall on or off by enable-firewall", async () => {
    for (const enableFirewall of [true, false]) {
      const key = rsaKey(2048, "fw");
      const { run } = await firstBoot({
        ...firstBootMetadata(key.publicKey),
        hostname: "winsrv-07",
        enableFirewall,
      });
      assert.equal(run.stderr, "");
      assert.deepEqual(
        called(run.effects, "Rename-Guest").map((e) => e.args),
        [["winsrv-07"]],
      );
      assert.deepEqual(
        called(run.effects, "Set-GuestFirewall").map((e) => e.args),
        [[enableFirewall]],
      );
      assert.ok(run.log.includes(enableFirewall ? "firewall on, RDP 3389 tcp and udp open" : "firewall off"));
    }
  });

  test("first boot: the product key first, then activation only when auto-activate is there, against its KMS host, through its proxy (set, then reset)", async () => {
    const activation = (effects: EffectCall[]) =>
      effects
        .filter((e) =>
          [
            "Set-ProductKey",
            "Set-KmsHost",
            "Set-ActivationProxy",
            "Invoke-Activation",
            "Reset-ActivationProxy",
          ].includes(e.effect),
        )
        .map((e) => [e.effect, ...e.args]);
    const key = rsaKey(2048, "act");
    const productKey = "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2";
    const cases: [Pick<MetadataContent, "autoActivate" | "productKey">, unknown[][]][] = [
      [{ autoActivate: null, productKey: null }, []],
      [{ autoActivate: null, productKey }, [["Set-ProductKey", productKey]]],
      [{ autoActivate: { proxy: null, kmsHost: null }, productKey: null }, [["Invoke-Activation"]]],
      [
        { autoActivate: { proxy: null, kmsHost: "kms.example.com:1688" }, productKey },
        [["Set-ProductKey", productKey], ["Set-KmsHost", "kms.example.com:1688"], ["Invoke-Activation"]],
      ],
      [
        { autoActivate: { proxy: "10.0.2.2:3128", kmsHost: null }, productKey: null },
        [["Set-ActivationProxy", "10.0.2.2:3128"], ["Invoke-Activation"], ["Reset-ActivationProxy"]],
      ],
    ];
    for (const [options, expected] of cases) {
      const { run } = await firstBoot({ ...firstBootMetadata(key.publicKey), ...options });
      assert.equal(run.stderr, "");
      assert.deepEqual(activation(run.effects), expected, JSON.stringify(options));
      // The log names the key by its last group only.
      if (options.productKey) {
        assert.ok(
          run.log.includes("product key *****-*****-*****-*****-VWXY2 applied (slmgr status 0)"),
          run.log.join("\n"),
        );
        assert.doesNotMatch(run.log.join("\n"), /ABCDE-FGHIJ/);
      }
    }
  });
});

/** Per character class, the chi-square of its characters' counts against equal odds, and a bound at p = 0.0001. */
function classChiSquares(passwords: readonly string[]): [string, number, number][] {
  const classes: [string, RegExp][] = [
    ["upper case", /[A-Z]/],
    ["lower case", /[a-z]/],
    ["digits", /[0-9]/],
    ["others", /[^A-Za-z0-9]/],
  ];
  const counts = new Map<string, number>();
  for (const p of passwords) for (const c of p) counts.set(c, (counts.get(c) ?? 0) + 1);
  return classes.map(([name, re]) => {
    const members = [...passwordRules.alphabet].filter((c) => re.test(c));
    const seen = members.map((c) => counts.get(c) ?? 0);
    const expected = seen.reduce((a, b) => a + b, 0) / members.length;
    const chi2 = seen.reduce((a, n) => a + (n - expected) ** 2 / expected, 0);
    // Wilson-Hilferty: the chi-square quantile for df degrees of freedom, z = 3.719 (p = 0.0001).
    const df = members.length - 1;
    const bound = df * (1 - 2 / (9 * df) + 3.719 * Math.sqrt(2 / (9 * df))) ** 3;
    return [name, chi2, bound];
  });
}

/** What a flawed generator makes: a random byte modulo the alphabet's length, kept to the rules. */
function biasedPassword(): string {
  const alphabet = passwordRules.alphabet;
  for (;;) {
    const p = [...randomBytes(passwordRules.length)].map((b) => alphabet[b % alphabet.length]).join("");
    if (p.replace(/[A-Za-z0-9]/g, "").length >= 2 && /[A-Z]/.test(p) && /[a-z]/.test(p) && /[0-9]/.test(p))
      return p;
  }
}
