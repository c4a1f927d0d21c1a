// `wakame up --network bridge` (issue 12): this machine is the demo
// network's only host and its gateway, so a client on it reaches each
// instance at its own address, with no port forward, as far as the
// instance's groups allow. Run inside a network namespace of its own, as a
// fresh machine would be, so that the test machine's own network is left alone.
// Stopped with SIGTERM, it takes down all it set up there.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { run } from "../helpers/cli.js";
import { launchTestwin } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { askFrom, withoutNetns } from "../helpers/netns.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";

const skip = withoutNetns || (!existsSync("/usr/sbin/dnsmasq") && "needs dnsmasq (dnsmasq-base)");
const ns = "wkup";
const home = tempDir("up-bridge");
const key = join(home, "key");
let env: NodeJS.ProcessEnv;
let cloud: ReturnType<typeof startUp>;
/** What the first test made, for the next. */
const made: { group?: string; address?: string } = {};

/** mussel as a user on this machine runs it: here, inside the machine's namespace. */
async function mussel(...args: string[]) {
  const r = await run(
    "ip",
    ["netns", "exec", ns, process.execPath, resolve(repoRoot, "bin/mussel.js"), ...args],
    env,
  );
  assert.equal(r.code, 0, `mussel ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (skip) return;
  if (existsSync(`/run/netns/${ns}`)) execFileSync("ip", ["netns", "del", ns]);
  execFileSync("ip", ["netns", "add", ns]);
  execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  const port = await freePort();
  env = upEnv(home, port);
  cloud = startUp(env, port, { netns: ns, extra: ["--network", "bridge"] });
  await cloud.ready();
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", key]);
});

after(async () => {
  if (skip) return;
  await cloud?.stop();
  execFileSync("ip", ["netns", "del", ns]);
  rmSync(home, { recursive: true, force: true });
});

test("the instance answers at its own address from this machine, as far as its group allows", {
  skip,
}, async () => {
  assert.match(cloud.output.out, /reached at its own address/);
  const keyId = JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`)).id;
  const group = JSON.parse(
    await mussel("security_group", "create", "--rule", "tcp:3389,3389,ip4:0.0.0.0"),
  ).id;
  const id = await launchTestwin(mussel, keyId, group);
  let shown: {
    state: string;
    error: string | null;
    vif: { ipv4: { address: string }; port_forwards: unknown[] }[];
  };
  for (const end = Date.now() + 240_000; ; ) {
    shown = JSON.parse(await mussel("instance", "show", id));
    if (shown.state === "running") break;
    assert.ok(Date.now() < end, `${id}: ${shown.state} (${shown.error})\n${cloud.output.err}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.deepEqual(shown.vif[0]!.port_forwards, [], "no port forward: the address itself is reached");
  const address = shown.vif[0]!.ipv4.address;
  Object.assign(made, { group, address });
  const password = (await mussel("instance", "decrypt_password", id, key)).trim();
  // Running is reported as the second boot starts: the login check listens a few seconds later.
  let answer: string | null = null;
  for (const end = Date.now() + 60_000; answer === null && Date.now() < end; )
    answer = await askFrom(ns, address, 3389, `Administrator ${password}`, 1000);
  assert.equal(answer, "OK");
  await mussel("security_group", "update", group, "--rule", "tcp:22,22,ip4:0.0.0.0");
  for (let i = 0; i < 40 && (await askFrom(ns, address, 3389, "Administrator -", 300)) !== null; i++);
  assert.equal(await askFrom(ns, address, 3389, "Administrator -", 1000), null, "3389 closed with its rule");
});

test("from inside the guest, nothing on its host answers: not a service on its gateway address nor on the machine's own", {
  skip,
}, async () => {
  const { group, address } = made;
  assert.ok(group && address, "the first test launched the instance");
  // A service of this machine, on every address: the gateway's 10.0.2.2 among them.
  const service = spawn(
    "ip",
    [
      "netns",
      "exec",
      ns,
      process.execPath,
      resolve(repoRoot, "test/helpers/tcp-probe.mjs"),
      "listen",
      "7000",
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  try {
    await new Promise((ready) => service.stdout.once("data", ready));
    // It says "hi", then echoes what it is sent: the answer may hold both.
    assert.match(
      (await askFrom(ns, "10.0.2.2", 7000, "hello", 2000)) ?? "",
      /^hi\b/,
      "this machine's client reaches it",
    );
    await mussel("security_group", "update", group, "--rule", "tcp:7777,7777,ip4:0.0.0.0");
    // The guest's probe: "ADDRESS PORT" in, "reached: ..." or "unreached" out.
    const probe = async (line: string) => {
      let answer: string | null = null;
      for (const end = Date.now() + 60_000; answer === null && Date.now() < end; )
        answer = await askFrom(ns, address, 7777, line, 8000);
      return answer;
    };
    assert.equal(await probe("127.0.0.1 3389"), "reached: DENIED", "the probe works: its own login check");
    // Every address this machine holds on the guests' bridge: the gateway's, the DHCP server's.
    const held = [
      ...execFileSync("ip", ["-n", ns, "-4", "-o", "addr", "show", "dev", "br-demo1"], {
        encoding: "utf8",
      }).matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g),
    ].map((m) => m[1]!);
    assert.ok(held.includes("10.0.2.2"), held.join(" "));
    for (const a of held) assert.equal(await probe(`${a} 7000`), "unreached", `this machine at ${a}`);
  } finally {
    service.kill("SIGKILL");
  }
});

test("SIGTERM takes down all it set up: the VM, the bridge with its address and route, the tap, the DHCP server, the nftables tables", {
  skip,
}, async () => {
  const inNs = (...args: string[]) =>
    execFileSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8" });
  assert.match(inNs("ip", "-br", "link"), /br-demo1[\s\S]*tap-/, "the bridge and a tap while up");
  assert.match(
    inNs("nft", "list", "tables"),
    /wakame_filter[\s\S]*wakame_nat|wakame_nat[\s\S]*wakame_filter/,
  );
  cloud.up.kill("SIGTERM");
  assert.equal(await cloud.exited, 0, cloud.output.err);
  assert.match(cloud.output.err, /powered off/);
  assert.doesNotMatch(inNs("ip", "-br", "link"), /br-demo1|tap-/, "no bridge, no tap");
  assert.doesNotMatch(inNs("ip", "-4", "addr"), /10\.0\.2\.2\//, "no gateway address");
  assert.doesNotMatch(inNs("ip", "-4", "route"), /10\.0\.2\.0\/24/, "no route");
  assert.doesNotMatch(inNs("nft", "list", "tables"), /wakame_/, "no table of ours");
  const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).trim();
  assert.equal(pids, "", "no process left in the machine's namespace (QEMU, dnsmasq)");
});
