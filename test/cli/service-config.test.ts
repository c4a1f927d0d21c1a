// The configuration an installed cloud runs from: dcmgr's --config file,
// vdc-manage reading the same file (WAKAME_CONFIG), the file winning over the
// environment and the command line over both; a database that root's
// vdc-manage creates stays writable for the service's user.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { missingCapabilities } from "../../src/hva/capabilities.js";
import { run, vdcManage } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const dir = tempDir("service-config");
after(() => rmSync(dir, { recursive: true, force: true }));
const dcmgrBin = resolve(repoRoot, "bin/dcmgr.js");
const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, WAKAME_HOME: join(dir, "from-env") };
  delete env.DATABASE_URL;
  delete env.WAKAME_CONFIG;
  delete env.WAKAME_IMAGES_DIR;
  return env;
};

/** dcmgr started with these arguments, once it says where its API is (or has exited). */
async function startDcmgr(args: string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, [dcmgrBin, ...args], { env });
  let said = "";
  child.stderr!.on("data", (d) => {
    said += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  for (let i = 0; i < 200 && !/API at /.test(said) && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 50));
  return {
    said: () => said,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

describe("dcmgr --config and vdc-manage's WAKAME_CONFIG", () => {
  test("dcmgr serves from its config file's listen and home; the command line wins", async () => {
    const home = join(dir, "service");
    const [port, other] = [await freePort(), await freePort()];
    const conf = join(dir, "dcmgr.conf");
    writeFileSync(conf, `# as /etc/wakame-vdc/dcmgr.conf\nlisten = 127.0.0.1:${port}\nhome = ${home}\n`);
    const d = await startDcmgr(["--config", conf], baseEnv());
    try {
      assert.match(d.said(), new RegExp(`SQLite ${home}/wakame.sqlite3; API at http://127.0.0.1:${port}/`));
      const specs = await fetch(`http://127.0.0.1:${port}/api/12.03/instance_specs`, {
        headers: { "X-VDC-Account-ID": "a-shpoolxx" },
      });
      assert.equal(specs.status, 200);
    } finally {
      await d.stop();
    }
    assert.ok(!existsSync(join(dir, "from-env")), "WAKAME_HOME was not used");
    const flag = await startDcmgr(["--config", conf, "--listen", `127.0.0.1:${other}`], baseEnv());
    try {
      assert.match(flag.said(), new RegExp(`API at http://127.0.0.1:${other}/`));
    } finally {
      await flag.stop();
    }
  });

  test("vdc-manage works on the store of the file WAKAME_CONFIG names, not WAKAME_HOME's", async () => {
    const home = join(dir, "managed");
    const conf = join(dir, "managed.conf");
    writeFileSync(conf, `listen = 0.0.0.0:9001\nhome = ${home}\ndelete-password-after-minutes = 10\n`);
    const env = { ...baseEnv(), WAKAME_CONFIG: conf };
    const added = await vdcManage(["host", "add", "hva.conf1", "--uuid", "hn-conf1", "--force"], env);
    assert.equal(added.code, 0, added.stderr);
    assert.ok(existsSync(join(home, "wakame.sqlite3")));
    const shown = await vdcManage(["host", "show", "hn-conf1"], env);
    assert.match(shown.stdout, /hva\.conf1/);
    const elsewhere = await vdcManage(["host", "show", "hn-conf1"], baseEnv());
    assert.notEqual(elsewhere.code, 0, "the environment's store has no such host");
  });

  const refusals: [string, string, RegExp][] = [
    [
      "an unknown name, with the known ones",
      "listen = 127.0.0.1:9001\nport = 9001\n",
      /line 3: unknown option 'port': use one of listen, delete-password-after-minutes, streams-per-account, events-keep-days, events-keep-per-instance, windows-firewall, windows-auto-activate, windows-kms-host, windows-password-retries, backup-storage, server-name, home, database-url, images-dir, tls-cert, tls-key/,
    ],
    [
      "a line that is no setting",
      "listen 127.0.0.1:9001\n",
      /line 2: write 'name = value', e.g. 'listen = 0.0.0.0:9001'/,
    ],
    [
      "a database URL that is not PostgreSQL's",
      "database-url = mysql://x/y\n",
      /DATABASE_URL 'mysql:\/\/x\/y' is not a PostgreSQL URL/,
    ],
  ];
  for (const [what, text, message] of refusals) {
    test(`dcmgr and vdc-manage refuse ${what}, and leave no database behind`, async () => {
      const home = join(dir, `bad-${refusals.findIndex((r) => r[0] === what)}`);
      const conf = join(dir, "bad.conf");
      writeFileSync(conf, `home = ${home}\n${text}`);
      const d = await run(process.execPath, [dcmgrBin, "--config", conf], baseEnv());
      assert.notEqual(d.code, 0);
      assert.match(d.stderr, message);
      const v = await vdcManage(["host", "show"], { ...baseEnv(), WAKAME_CONFIG: conf });
      assert.notEqual(v.code, 0);
      assert.match(v.stderr, message);
      assert.ok(!existsSync(join(home, "wakame.sqlite3")));
    });
  }

  test("a database root creates belongs to its directory's owner, and so do its WAL files", async (t) => {
    if (process.getuid?.() !== 0) return t.skip("needs root");
    const home = join(dir, "owned");
    mkdirSync(home);
    chownSync(home, 65534, 65534);
    const r = await vdcManage(["host", "add", "hva.own1", "--uuid", "hn-own1", "--force"], {
      ...baseEnv(),
      WAKAME_HOME: home,
    });
    assert.equal(r.code, 0, r.stderr);
    for (const f of ["wakame.sqlite3", "wakame.sqlite3-wal", "wakame.sqlite3-shm"].filter((f) =>
      existsSync(join(home, f)),
    ))
      assert.equal(statSync(join(home, f)).uid, 65534, f);
  });
});

describe("the capabilities bridged networking needs", () => {
  const wanted = { CAP_NET_BIND_SERVICE: 10, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13 };
  const cases: [string, string, string[]][] = [
    ["root's full set", "CapEff:\t000001ffffffffff\n", []],
    [
      "none",
      "CapInh:\t0000000000000000\nCapEff:\t0000000000000000\n",
      ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN", "CAP_NET_RAW"],
    ],
    ["the service's three", "CapEff:\t0000000000003400\n", []],
    ["net_admin alone", "CapEff:\t0000000000001000\n", ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]],
    ["no CapEff line", "Name:\tnode\n", ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN", "CAP_NET_RAW"]],
  ];
  for (const [what, status, missing] of cases)
    test(what, () => assert.deepEqual(missingCapabilities(status, wanted), missing));
});
