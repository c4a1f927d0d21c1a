// dcmgr over HTTPS (--tls-cert, --tls-key), with a self-signed certificate
// as the packages make one: mussel (DCMGR_SCHEME, DCMGR_CA_FILE) and hva
// (--ca-file) trust it and talk to it; without the CA they refuse to, saying
// what to give; plain HTTP gets nothing from the HTTPS port.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { run, startCommand, vdcManage } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const dir = tempDir("tls");
const cert = join(dir, "dcmgr.crt");
const key = join(dir, "dcmgr.key");
const bin = (name: string) => resolve(repoRoot, "bin", `${name}.js`);

describe("dcmgr over HTTPS", () => {
  let dcmgr: ChildProcess;
  let port = 0;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=dcmgr test",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    port = await freePort();
    env = { ...process.env, WAKAME_HOME: join(dir, "home") };
    delete env.DATABASE_URL;
    await vdcManage(["host", "add", "hva.demo1", "--uuid", "hn-demo1", "--force"], env);
    const d = startCommand(
      "dcmgr",
      ["--listen", `127.0.0.1:${port}`, "--tls-cert", cert, "--tls-key", key],
      env,
    );
    dcmgr = d.child;
    await d.saying(new RegExp(`API at https://127.0.0.1:${port}/api/12.03`));
  });
  after(async () => {
    dcmgr?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  const mussel = (extra: NodeJS.ProcessEnv, ...args: string[]) =>
    run(process.execPath, [bin("mussel"), ...args], {
      ...env,
      HOME: dir,
      DCMGR_HOST: "127.0.0.1",
      DCMGR_PORT: String(port),
      DCMGR_RESPONSE_FORMAT: "json",
      ...extra,
    });

  test("mussel trusts the CA it is given, and without it says to give it", async () => {
    const ok = await mussel({ DCMGR_SCHEME: "https", DCMGR_CA_FILE: cert }, "instance_spec", "index");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout)[0].total, 3);
    const untrusted = await mussel({ DCMGR_SCHEME: "https" }, "instance_spec", "index");
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /cannot trust dcmgr at https:\/\/127\.0\.0\.1:\d+\/api\/12\.03 \(\S+\): give its CA certificate with DCMGR_CA_FILE/,
    );
    const plain = await mussel({}, "instance_spec", "index");
    assert.equal(plain.code, 1, "plain HTTP to the HTTPS port gets nothing");
    const missing = await mussel(
      { DCMGR_SCHEME: "https", DCMGR_CA_FILE: join(dir, "nothere.crt") },
      "instance_spec",
      "index",
    );
    assert.match(missing.stderr, /DCMGR_CA_FILE: cannot read the CA file .*nothere\.crt: ENOENT/);
  });

  test("hva with --ca-file reaches it; without, it refuses to start and says why", async () => {
    const token = (await vdcManage(["token", "add", "--host-node-id", "hn-demo1"], env)).stdout.trim();
    const agentEnv = { ...env, WAKAME_AGENT_TOKEN: token, WAKAME_HOME: join(dir, "hva") };
    const args = ["--node-id", "hva.demo1", "--dcmgr", `https://127.0.0.1:${port}`, "--accelerator", "tcg"];
    const trusting = startCommand("hva", [...args, "--ca-file", cert], agentEnv);
    await trusting.saying(/host node hn-demo1 \(hva\.demo1\)/);
    trusting.child.kill("SIGTERM");
    assert.equal(await trusting.exited, 0, trusting.output());
    const refusing = await run(process.execPath, [bin("hva"), ...args], agentEnv);
    assert.equal(refusing.code, 1);
    assert.match(
      refusing.stderr,
      /dcmgr at https:\/\/127\.0\.0\.1:\d+ refused or did not answer: .*(certificate|CERT)/i,
    );
  });

  test("--tls-cert without --tls-key is refused, and nothing listens", async () => {
    const other = await freePort();
    const r = await run(
      process.execPath,
      [bin("dcmgr"), "--listen", `127.0.0.1:${other}`, "--tls-cert", cert],
      env,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  });
});
