// The hva command's start: what it refuses and says before it runs, its
// config file, and a clean stop that leaves VMs alone.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
    const host = (await api.req("GET", "/host_nodes/hn-demo1.json")).body;
    assert.deepEqual(host.capabilities, {
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
