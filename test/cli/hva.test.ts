// The hva command's start: what it refuses and says before it runs, its
// config file, and a clean stop that leaves VMs alone.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startApi, type TestApi } from "../helpers/api.js";
import { run } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const dir = tempDir("hva-cli");
const hvaBin = resolve(repoRoot, "bin/hva.js");

describe("hva", () => {
  let api: TestApi;
  let tokenFile: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    api = await startApi("sqlite");
    tokenFile = join(dir, "token");
    writeFileSync(tokenFile, `${await api.token("host_node", "hn-demo1")}\n`);
    env = { ...process.env, WAKAME_HOME: join(dir, "home") };
    delete env.WAKAME_AGENT_TOKEN;
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const hva = (...args: string[]) => run(process.execPath, [hvaBin, ...args], env);

  const refusals: [string, string[], number, RegExp][] = [
    ["no --node-id", ["--dcmgr", "http://127.0.0.1:9"], 2, /--node-id is required/],
    [
      "no token",
      ["--node-id", "hva.demo1"],
      1,
      /needs its host node's token: 'vdc-manage token add --host-node-id/,
    ],
    [
      "a missing token file",
      ["--node-id", "hva.demo1", "--token-file", "/nonexistent"],
      1,
      /cannot read --token-file \/nonexistent: ENOENT/,
    ],
    [
      "a dcmgr URL that is not http",
      ["--node-id", "hva.demo1", "--dcmgr", "ftp://x"],
      1,
      /--dcmgr: 'ftp:\/\/x' is not an http\(s\) URL/,
    ],
    [
      "an unknown accelerator",
      ["--node-id", "hva.demo1", "--accelerator", "xen"],
      1,
      /--accelerator.*auto, kvm, tcg/,
    ],
    [
      "a missing config file",
      ["--config", "/nonexistent.conf"],
      1,
      /cannot read the config file \/nonexistent.conf: ENOENT/,
    ],
  ];
  for (const [what, args, code, message] of refusals) {
    test(`refuses ${what}`, async () => {
      const r = await hva(...args);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
    });
  }

  test("Secure Boot certificates: both or neither, each one readable and a certificate, each refusal one line", async () => {
    const pem = join(dir, "kek.pem");
    execFileSync(
      "openssl",
      [
        ...["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kek/"],
        ...["-keyout", "/dev/null", "-out", pem],
      ],
      { stdio: "ignore" },
    );
    const notCert = join(dir, "not-a-cert.pem");
    writeFileSync(notCert, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    const up = [
      "--node-id",
      "hva.demo1",
      "--dcmgr",
      api.origin,
      "--token-file",
      tokenFile,
      "--accelerator",
      "tcg",
    ];
    for (const [args, message] of [
      [["--secure-boot-kek", pem], /--secure-boot-kek and --secure-boot-db go together/],
      [
        ["--secure-boot-kek", pem, "--secure-boot-db", "/nonexistent.pem"],
        /--secure-boot-db: cannot read \/nonexistent.pem: ENOENT/,
      ],
      [
        ["--secure-boot-kek", `${pem},${notCert}`, "--secure-boot-db", pem],
        /--secure-boot-kek: .*not-a-cert.pem is not an X.509 certificate \(PEM or DER\)/,
      ],
    ] as const) {
      const r = await hva(...up, ...args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(
        r.stderr
          .trim()
          .split("\n")
          .filter((l) => /hva: (?!host node|Secure Boot)/.test(l)).length,
        1,
        r.stderr,
      );
    }
  });

  test("refuses a dcmgr that does not answer, and a token of another host", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await hva("--node-id", "hva.demo1", "--dcmgr", closed, "--token-file", tokenFile);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`dcmgr at ${closed} refused or did not answer`));
    const wrong = await hva("--node-id", "hva.other", "--dcmgr", api.origin, "--token-file", tokenFile);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /the token is for host node hn-demo1 \(node id hva.demo1\), not for node id hva.other: use that host's token or --node-id hva.demo1/,
    );
  });

  test("a config file names unknown options by line", async () => {
    const conf = join(dir, "bad.conf");
    writeFileSync(conf, "# hva\nnode-id = hva.demo1\n\ncpu-cores = 4\n");
    const r = await hva("--config", conf);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(`${conf} line 4: unknown option 'cpu-cores': use one of node-id, dcmgr`),
    );
  });

  test("runs from a config file, the command line winning, and stops on SIGTERM leaving VMs alone", async () => {
    const conf = join(dir, "hva.conf");
    writeFileSync(
      conf,
      `node-id = hva.wrong\ndcmgr = ${api.origin}\ntoken-file = ${tokenFile}\naccelerator = tcg # no probe in tests\ncpu-model = Westmere\n`,
    );
    const child = spawn(process.execPath, [hvaBin, "--config", conf, "--node-id", "hva.demo1"], { env });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    for (let i = 0; i < 100 && !err.includes("VMs run on"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(
      err,
      /hva: host node hn-demo1 \(hva.demo1\); VMs run on tcg: configured.*; their CPU: Westmere/,
    );
    // What it can give a VM reaches dcmgr before its first pass: this machine has Debian's ovmf and swtpm.
    // Its first heartbeat with them follows that line: wait for it rather than assume it came.
    const reported = async () => (await api.req("GET", "/host_nodes/hn-demo1.json")).body.capabilities;
    for (let i = 0; i < 100 && (await reported()).cpu_model === ""; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await reported(), {
      kvm: false,
      uefi: true,
      secure_boot: true,
      tpm: true,
      cpu_model: "Westmere",
    });
    child.kill("SIGTERM");
    assert.equal(await exited, 0, err);
    assert.match(err, /stopped; the VMs keep running and the next hva adopts them/);
  });
});
