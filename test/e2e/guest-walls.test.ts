// The wall between a tenant's guest and its host, tried from inside the
// guest as a hostile tenant would, on `wakame up` (user-mode networking, as
// the shipped hva.conf has it): the test guest's probe (TCP 7777) connects
// wherever it is told. Nothing on the host answers it (dcmgr, another VM's
// forwarded ports, listeners on 127.0.0.1 and on the host's own address),
// while a listener outside the host (a network namespace routed through it)
// and the guest's forwarded 3389 still work.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { guestWallTable } from "../../src/hva/network/guest-wall.js";
import { askGuest, loginCheck } from "../../src/testguest/client.js";
import { launchTestwin, musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { withoutNetns } from "../helpers/netns.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { qemuPids } from "../helpers/vms.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });

/** The host's own first global IPv4 address (192.0.2.2 on the machine the issue was found on). */
const hostAddress = () =>
  /inet (\d+\.\d+\.\d+\.\d+)/.exec(
    execFileSync("ip", ["-4", "-o", "addr", "show", "scope", "global"], { encoding: "utf8" }),
  )?.[1];

const top = tempDir("walls");
/** WAKAME_HOME, which `wakame up` makes. */
const home = join(top, "var");
const outside = `wall-out-${process.pid % 100000}`;
const outsideLink = `wo${process.pid % 100000}`;
const listeners: Server[] = [];
const guestUser = { uid: 64990, gid: 64990 };
let cloud: ReturnType<typeof startUp> | undefined;

/** A listener on the host that answers "hi", as any service there would. */
async function listenOnHost(address: string): Promise<number> {
  const server = createServer((s) => s.end("hi\n"));
  listeners.push(server);
  await new Promise<void>((done) => server.listen(0, address, done));
  return (server.address() as { port: number }).port;
}

before(() => {
  if (withoutNetns) return;
  // "Outside the host": a namespace routed through it, 198.51.100.2, answering on 7000.
  try {
    ip("netns", "del", outside);
  } catch {}
  ip("netns", "add", outside);
  ip("link", "add", outsideLink, "type", "veth", "peer", "name", "eth0", "netns", outside);
  ip("addr", "add", "198.51.100.1/30", "dev", outsideLink);
  ip("link", "set", outsideLink, "up");
  ip("-n", outside, "addr", "add", "198.51.100.2/30", "dev", "eth0");
  ip("-n", outside, "link", "set", "eth0", "up");
  const listener = spawn(
    "ip",
    [
      "netns",
      "exec",
      outside,
      process.execPath,
      resolve(repoRoot, "test/helpers/tcp-probe.mjs"),
      "listen",
      "7000",
    ],
    { stdio: "ignore", detached: true },
  );
  listener.unref();
});

after(async () => {
  if (cloud && cloud.up.exitCode === null) {
    cloud.up.kill("SIGINT");
    await cloud.exited;
  }
  for (const s of listeners) s.close();
  if (!withoutNetns) {
    try {
      for (const pid of execFileSync("ip", ["netns", "pids", outside], { encoding: "utf8" }).split("\n"))
        if (pid) process.kill(Number(pid), "SIGKILL");
      ip("netns", "del", outside);
    } catch {}
  }
  rmSync(top, { recursive: true, force: true });
});

/** What the first test made, for the next ones. */
const made: { mussel?: ReturnType<typeof musselWith>; group?: string; rdp?: number; password?: string } = {};

interface Instance {
  state: string;
  vif: { port_forwards: { guest_port: number; host_port: number }[] }[];
}

test("a user-mode guest reaches nothing on its host, while the outside world and its forwarded 3389 still work", {
  skip: withoutNetns,
}, async () => {
  const port = await freePort();
  const env = upEnv(home, port);
  const mussel = musselWith(env);
  // A guests' user of its own, whom no other cloud on this machine (another test's) walls.
  cloud = startUp(env, port, { extra: ["--guest-user", `${guestUser.uid}:${guestUser.gid}`] });
  await cloud.ready();
  assert.match(
    cloud.output.err,
    /user-mode guests are walled off from this host: their network runs as 64990:64990/,
  );

  const key = join(top, "demo-key");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-m", "PEM", "-N", "", "-f", key]);
  const sshKey = JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`)).id;
  const group = JSON.parse(
    await mussel(
      "security_group",
      "create",
      "--rule",
      "tcp:3389,3389,ip4:0.0.0.0\ntcp:7777,7777,ip4:0.0.0.0",
    ),
  ).id;
  const attacker = await launchTestwin(mussel, sshKey, group);
  const victim = await launchTestwin(mussel, sshKey, group);
  const running = async (id: string) => {
    for (let i = 0; ; i++) {
      const instance = JSON.parse(await mussel("instance", "show", id)) as Instance;
      if (instance.state === "running") return instance;
      assert.ok(i < 1200, `${id} still ${instance.state}:\n${cloud!.output.err}`);
      await sleep(300);
    }
  };
  const [a, v] = [await running(attacker), await running(victim)];
  const forward = (i: Instance, guestPort: number) =>
    i.vif[0]!.port_forwards.find((f) => f.guest_port === guestPort)!.host_port;

  // The attacker's probe: "ADDRESS PORT" in, "reached: ..." or "unreached" out (after its 3 s, and TCG's slowness).
  const reach = async (address: string, to: number) =>
    (await askGuest(forward(a, 7777), `${address} ${to}`, 240_000, "127.0.0.1", 30_000)).trim();
  /** What the attacker's console and network said, for a failure's message. */
  const said = () =>
    ["serial.log", "passt-0.log"]
      .map(
        (f) =>
          `${f}:\n${readFileSync(join(home, "instances", attacker, f), "utf8")
            .split("\n")
            .slice(-30)
            .join("\n")}`,
      )
      .join("\n");

  // What reaches it once proves the path; a loaded machine can let one try's 3 s go by.
  let outsideAnswer = "";
  for (let i = 0; i < 3 && outsideAnswer !== "reached: hi"; i++)
    outsideAnswer = await reach("198.51.100.2", 7000);
  const route = execFileSync("ip", ["route", "get", "198.51.100.2"], { encoding: "utf8" });
  assert.equal(
    outsideAnswer,
    "reached: hi",
    `the outside world is reachable (the probe said "${outsideAnswer}"; this host's route: ${route})\n${said()}\nthe agent: ${cloud.output.err.split("\n").slice(-20).join("\n")}`,
  );
  const password = (await mussel("instance", "decrypt_password", attacker, key)).trim();
  assert.equal(await loginCheck(forward(a, 3389), password), "OK\n", "its forwarded 3389 works");
  Object.assign(made, { mussel, group, rdp: forward(a, 3389), password });

  const onLoopback = await listenOnHost("127.0.0.1");
  const host = hostAddress();
  const onHostAddress = host ? await listenOnHost(host) : null;
  const attempts: [string, number, string][] = [
    ["10.0.2.2", port, "dcmgr through the gateway"],
    ["10.0.2.2", onLoopback, "a listener on the host's 127.0.0.1, through the gateway"],
    ["10.0.2.2", forward(v, 3389), "another VM's forwarded port, through the gateway"],
  ];
  if (host && onHostAddress) {
    attempts.push([host, onHostAddress, "a listener on the host's own address"]);
    attempts.push([host, forward(v, 3389), "another VM's forwarded port on the host's address"]);
  }
  for (const [address, to, what] of attempts)
    assert.equal(await reach(address, to), "unreached", `${what} (${address}:${to})\n${said()}`);

  // The other VM's console is on a unix socket: its QEMU listens on no TCP port at all.
  const [victimQemu] = qemuPids(join(home, "instances", victim));
  const listening = execFileSync("ss", ["-Hltnp"], { encoding: "utf8" });
  assert.ok(victimQemu, "the victim's QEMU runs");
  assert.doesNotMatch(listening, new RegExp(`pid=${victimQemu},`), "QEMU listens on no TCP port");

  // That the wall, not chance, is what stops it: test/hva/guest-wall-nft.test.ts (the same
  // table, with and without it, for a process of the guests' user).
  assert.ok(
    execFileSync("nft", ["list", "table", "inet", guestWallTable(join(home, "instances"))], {
      encoding: "utf8",
    }).includes(`meta skuid ${guestUser.uid} oifname "lo"`),
    "the guests' user's wall is in force",
  );
});

test("WAKAME_HOME and everything the cloud put in it are the owner's only: instance disks, metadata drives, serial logs, sockets", {
  skip: withoutNetns,
}, () => {
  const modes = new Map<string, number>();
  const walk = (path: string) => {
    modes.set(path, lstatSync(path).mode & 0o777);
    if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(home);
  assert.equal(modes.get(home), 0o700);
  const instanceFiles = [...modes.keys()].filter((p) =>
    /instances\/i-[a-z0-9]+\/(disk\.|metadata\.img|serial\.log|vnc\.sock)/.test(p),
  );
  assert.ok(
    instanceFiles.length >= 8,
    `the two instances' disks, drives, logs and consoles: ${instanceFiles.join(", ")}`,
  );
  const open = [...modes].filter(([, mode]) => mode & 0o077).map(([p, mode]) => `${p} ${mode.toString(8)}`);
  assert.deepEqual(open, [], "nothing under WAKAME_HOME is open to the group or others");
});

test("a forwarded port open to some sources only is closed to the others, and opens as its group's rules change", {
  skip: withoutNetns,
}, async () => {
  const { mussel, group, rdp, password } = made;
  assert.ok(mussel && group && rdp && password, "the first test launched the instances");
  /** Waits until the wall in force has (or has not) a guard on the forwarded port. */
  const guarded = async (yes: boolean) => {
    for (let i = 0; ; i++) {
      const text = execFileSync("nft", ["list", "table", "inet", guestWallTable(join(home, "instances"))], {
        encoding: "utf8",
      });
      if (text.includes(`tcp dport ${rdp} `) === yes) return;
      assert.ok(i < 300, `the wall ${yes ? "never guarded" : "still guards"} ${rdp}:\n${text}`);
      await sleep(100);
    }
  };
  const rules = (...lines: string[]) => mussel("security_group", "update", group, "--rule", lines.join("\n"));

  await rules("tcp:3389,3389,ip4:10.9.9.9/32", "tcp:7777,7777,ip4:0.0.0.0");
  await guarded(true);
  assert.equal(await loginCheck(rdp, password, 8000), "", "127.0.0.1 is not 10.9.9.9: no answer");
  await rules("tcp:3389,3389,ip4:127.0.0.0/8", "tcp:7777,7777,ip4:0.0.0.0");
  await guarded(true);
  assert.equal(await loginCheck(rdp, password), "OK\n", "127.0.0.0/8 lets this host's own client in");
  await rules("tcp:3389,3389,ip4:0.0.0.0", "tcp:7777,7777,ip4:0.0.0.0");
  await guarded(false);
  assert.equal(await loginCheck(rdp, password), "OK\n");
});
