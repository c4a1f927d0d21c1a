// Real networking across several hosts (issue 12), as an operator and users
// would run it on one machine: three hosts as network namespaces cabled to
// one switch, an hva in each with bridged networking (the first one the
// network's gateway, with an "outside" client cabled to it), two dcmgr
// processes on one PostgreSQL, and test-guest Windows instances on different
// hosts. Security groups are checked from outside and between the guests
// (the guest's own probe on TCP 7777), with the host's nftables and
// conntrack doing the work; rule changes go through mussel.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { type HostNamespaces, makeHostNamespaces } from "../../src/cli/wakame/host-namespaces.js";
import { stopDhcpServers } from "../../src/hva/network/dhcp-server.js";
import { installScript } from "../../src/imagebuild/install-script.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { run, vdcManage } from "../helpers/cli.js";
import { launchTestwin, type Mussel, musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { askFrom, holdFrom, withoutNetns } from "../helpers/netns.js";
import { commandsOnPath, repoRoot, tempDir } from "../helpers/paths.js";
import { freshStore, type TestStore } from "../helpers/stores.js";
import { qemuPids } from "../helpers/vms.js";

const skip =
  withoutNetns ||
  (!existsSync("/usr/sbin/dnsmasq") && "needs dnsmasq (dnsmasq-base)") ||
  (!process.env.WAKAME_TEST_PG_URL && "needs PostgreSQL (WAKAME_TEST_PG_URL)");

const home = tempDir("bridged");
const images = join(home, "images");
const keyFile = join(home, "key");
const managementNet = "10.254.7";
let net: HostNamespaces;
let t: TestStore;
let env: NodeJS.ProcessEnv;
let mussel: Mussel;
const dcmgrs: { child: ChildProcess; url: string; port: number }[] = [];
const agents = new Map<string, { child: ChildProcess; log: string[] }>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hostHome = (host: string) => join(home, "hosts", host);

function startDcmgr(port: number) {
  const child = spawn(
    process.execPath,
    [resolve(repoRoot, "bin/dcmgr.js"), "--listen", `${managementNet}.1:${port}`],
    {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  child.stderr!.resume();
  return { child, url: `http://${managementNet}.1:${port}`, port };
}

function startAgent(host: string, gateway: boolean) {
  const h = net.hosts.find((x) => x.name === host)!;
  mkdirSync(hostHome(host), { recursive: true });
  const [cmd, argv] = net.inside(h, [
    process.execPath,
    resolve(repoRoot, "bin/hva.js"),
    "--node-id",
    `hva.${host}`,
    "--dcmgr",
    dcmgrs.map((d) => d.url).join(","),
    "--token-file",
    join(home, `${host}.token`),
    "--accelerator",
    "tcg",
    "--network",
    "bridge",
    "--uplink-device",
    "up0",
    ...(gateway ? ["--gateway"] : []),
  ]);
  const child = spawn(cmd, argv, { env: { ...env, WAKAME_HOME: hostHome(host) } });
  const log: string[] = [];
  for (const s of [child.stdout!, child.stderr!])
    s.setEncoding("utf8").on("data", (d: string) => log.push(d));
  agents.set(host, { child, log });
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

const agentLogs = () => [...agents].map(([h, a]) => `--- ${h}\n${a.log.join("")}`).join("\n");

interface Instance {
  id: string;
  state: string;
  error: string | null;
  host_node: string | null;
  vif: { ipv4?: { address: string } | null }[];
}

const show = async (id: string) => JSON.parse(await mussel("instance", "show", id)) as Instance;

async function until(id: string, done: (i: Instance) => boolean, ms = 240_000) {
  for (const end = Date.now() + ms; ; ) {
    const i = await show(id);
    if (done(i)) return i;
    assert.ok(Date.now() < end, `${id} stuck in ${i.state} (${i.error}); the agents said:\n${agentLogs()}`);
    await sleep(500);
  }
}

/** How long `check` takes to come true, polled every 50 ms, up to `ms`; null if it never does. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number | null> {
  const began = Date.now();
  while (Date.now() - began < ms) {
    if (await check()) return Date.now() - began;
    await sleep(50);
  }
  return null;
}

const group = async (rule: string) =>
  (JSON.parse(await mussel("security_group", "create", "--rule", rule)) as { id: string }).id;
const setRules = (id: string, rule: string) => mussel("security_group", "update", id, "--rule", rule);

/** What the login check at address answers to a wrong password: "DENIED" when reached. */
const fromOutside = (address: string, ms = 1500) =>
  askFrom(net.outside!.ns, address, 3389, "Administrator -", ms);

/** What guest `from` reaches at address:3389 (from `spoofed` if given), asked through its probe on 7777 (from outside). */
async function fromGuest(from: string, address: string, spoofed = ""): Promise<string | null> {
  return askFrom(net.outside!.ns, from, 7777, `${address} 3389 ${spoofed}`.trim(), 6000);
}

let key = "";
const a = { id: "", address: "" };
const b = { id: "", address: "" };
let groupA = "";
let groupB = "";

const launchOn = (host: string, groupId: string) =>
  launchTestwin(mussel, key, groupId, "--host-node-id", `hn-${host}`);

const addressOf = (i: Instance) => i.vif[0]?.ipv4?.address ?? "";

before(async () => {
  if (skip) return;
  net = makeHostNamespaces({ prefix: "wkt", count: 3, managementNet, outside: { routes: ["10.0.2.0/24"] } });
  t = await freshStore("postgres");
  const ports = [await freePort(), await freePort()];
  env = {
    ...t.env,
    WAKAME_HOME: home,
    PATH: `${commandsOnPath()}:${process.env.PATH}`,
    DCMGR_HOST: `${managementNet}.1`,
    DCMGR_PORT: String(ports[0]),
    DCMGR_RESPONSE_FORMAT: "json",
  };
  for (const host of ["h1", "h2", "h3"]) {
    const added = await run(
      "bash",
      [
        "-c",
        `vdc-manage host add hva.${host} --uuid hn-${host} --cpu-cores 100 --memory-size 10240 --hypervisor kvm --arch x86_64 --disk-space 102400 --force`,
      ],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    writeFileSync(
      join(home, `${host}.token`),
      (await vdcManage(["token", "add", "--host-node-id", `hn-${host}`], env)).stdout,
    );
  }
  const modified = await vdcManage(
    ["network", "modify", "nw-demo1", "--uplink", "interface", "--dhcp-server", "10.0.2.253", "--nat"],
    env,
  );
  assert.equal(modified.code, 0, modified.stderr);
  env.DCMGR_API_TOKEN = (await vdcManage(["token", "add", "--account-id", "a-shpoolxx"], env)).stdout.trim();
  const packaged = await packageTestGuest(images, () => {});
  const script = join(images, `${packaged.objectKey}.install.sh`);
  writeFileSync(script, installScript({ name: "testwin", ...packaged }));
  const installed = await run("bash", [script, "backupobject", "image"], env);
  assert.equal(installed.code, 0, installed.stderr);
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keyFile]);
  for (const port of ports) dcmgrs.push(startDcmgr(port));
  mussel = musselWith(env);
  for (const d of dcmgrs)
    for (let i = 0; i < 100 && !(await fetch(`${d.url}/api/12.03/instance_specs`).catch(() => null)); i++)
      await sleep(100);
  startAgent("h1", true);
  startAgent("h2", false);
  startAgent("h3", false);
  key = (
    JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${keyFile}.pub`)) as { id: string }
  ).id;
});

after(async () => {
  if (skip) return;
  for (const a of agents.values()) await stop(a.child);
  for (const d of dcmgrs) await stop(d.child);
  for (const host of ["h1", "h2", "h3"]) {
    const dir = join(hostHome(host), "instances");
    for (const id of existsSync(dir) ? readdirSync(dir) : [])
      for (const pid of qemuPids(join(dir, id))) process.kill(pid, "SIGKILL");
    await stopDhcpServers(join(hostHome(host), "networks"));
  }
  net?.remove();
  await t?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe("bridged instances on three hosts behind their security groups", {
  skip,
  concurrency: false,
}, () => {
  test("two instances on two hosts get their leased addresses, by DHCP too, and boot to running", async () => {
    groupA = await group("tcp:3389,3389,ip4:0.0.0.0\ntcp:7777,7777,ip4:10.9.0.0/24");
    groupB = await group("tcp:7777,7777,ip4:10.9.0.0/24");
    a.id = await launchOn("h2", groupA);
    b.id = await launchOn("h3", groupB);
    const [ra, rb] = await Promise.all([
      until(a.id, (i) => i.state === "running"),
      until(b.id, (i) => i.state === "running"),
    ]);
    a.address = addressOf(ra);
    b.address = addressOf(rb);
    assert.match(a.address, /^10\.0\.2\.\d+$/);
    assert.notEqual(a.address, b.address);
    for (const [host, x] of [
      ["h2", a],
      ["h3", b],
    ] as const) {
      const serial = join(hostHome(host), "instances", x.id, "serial.log");
      const offered = await within(30_000, async () =>
        readFileSync(serial, "utf8").includes(`dhcp eth0 ${x.address}`),
      );
      assert.notEqual(
        offered,
        null,
        `${x.id}: DHCP offered ${x.address}; its console:\n${readFileSync(serial, "utf8")}`,
      );
    }
  });

  test("from outside, A's login check answers and B's does not; a rule added to B's group opens it within 2 s", async () => {
    assert.equal(await fromOutside(a.address, 3000), "DENIED");
    assert.equal(await fromOutside(b.address), null, "no rule lets the outside reach B's 3389");
    await setRules(groupB, "tcp:7777,7777,ip4:10.9.0.0/24\ntcp:3389,3389,ip4:0.0.0.0");
    const took = await within(5000, async () => (await fromOutside(b.address, 400)) === "DENIED");
    assert.notEqual(took, null, "B answers once its group opens 3389");
    assert.ok(took! <= 2000, `in force ${took} ms after mussel returned`);
  });

  test("removing the rule cuts the open connection it allowed", async () => {
    const open = await holdFrom(net.outside!.ns, b.address, 3389);
    try {
      await setRules(groupB, "tcp:7777,7777,ip4:10.9.0.0/24");
      await sleep(2000);
      assert.equal(
        await open.ask("Administrator -", 2000),
        null,
        "nothing more gets through the held connection",
      );
      assert.equal(await fromOutside(b.address), null);
    } finally {
      open.close();
    }
  });

  test("B reaches A's 3389 when A's group allows B's group, and not otherwise", async () => {
    await setRules(groupA, "tcp:7777,7777,ip4:10.9.0.0/24");
    assert.equal(await fromGuest(b.address, a.address), "unreached");
    await setRules(groupA, `tcp:7777,7777,ip4:10.9.0.0/24\ntcp:3389,3389,${groupB}`);
    const took = await within(
      5000,
      async () => (await fromGuest(b.address, a.address)) === "reached: DENIED",
    );
    assert.notEqual(took, null, "B's address is in A's allowed set");
    assert.equal(await fromOutside(a.address), null, "and the outside, not in B's group, stays out");
  });

  test("a guest that takes an address not its own gets nothing through", async () => {
    // A lets B's group in; B sending from another address of the segment is dropped at B's own tap.
    assert.equal(await fromGuest(b.address, a.address, "10.0.2.240"), "unreached");
    assert.equal(
      await fromGuest(b.address, a.address),
      "reached: DENIED",
      "from its own address it still gets in",
    );
  });

  test("one dcmgr stopped while a launch and its state reports flow: the other carries them, nothing is lost", async () => {
    const c = await launchOn("h1", groupA);
    await stop(dcmgrs[0]!.child);
    mussel = musselWith({ ...env, DCMGR_PORT: String(dcmgrs[1]!.port) });
    const running = await until(c, (i) => i.state === "running");
    assert.equal(running.error, null);
    assert.equal(
      (JSON.parse(await mussel("instance", "show", c)) as { password_ready: boolean }).password_ready,
      true,
    );
    assert.match(agents.get("h1")!.log.join(""), /does not answer: using http:\/\/10\.254\.7\.1:\d+/);
    // C joined A's group through the second dcmgr: A's host lets its new member in (members reach each other).
    // Running is reported as C's second boot starts; its probe listens a few seconds later.
    const took = await within(
      60_000,
      async () => (await fromGuest(addressOf(running), a.address)) === "reached: DENIED",
    );
    assert.notEqual(took, null, "C reaches A's 3389 as a member of A's group");
  });
});
