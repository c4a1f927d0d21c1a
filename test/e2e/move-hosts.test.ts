// Moving a running instance between two hosts, as a user asks it: the two
// hosts `wakame up --hosts 2 --network bridge` makes (each host agent in its
// own network namespace, the hosts reaching each other over the management
// bridge) with dcmgr as its own command, as operators run it; the test guest
// as a UEFI, Secure Boot and TPM image, launched on hn-h1 and moved with
// `mussel instance move`. Its counter goes on across the move, it answers at
// the same address from this machine, its security group holds on the new
// host, and after a reboot there its TPM still holds the value its first
// boot wrote. Then hn-h1, holding three instances, is evacuated with
// `vdc-manage host evacuate`: all three move to hn-h2 two at a time and go
// on answering, a second evacuation is refused meanwhile, and hn-h1 takes
// instances again only after `vdc-manage host enable`. Last, a halted UEFI
// and TPM instance moves cold (its files) and powers on there with its TPM.
// Faults: hn-h2's agent killed while a guest's memory goes to it: the
// guest runs on at hn-h1, and once the agent is back nothing of the move
// is left on hn-h2; then hn-h2's link cut mid-copy: the source gives up once
// nothing goes, the guest runs on, and once the link is back hn-h2 removes
// what the move left; then hn-h1's own agent killed mid-copy: its guest runs
// on, and its agent, back, undoes the move; last, dcmgr restarted mid-copy:
// it fails the move, hn-h1 gives it up (hn-h2 drops its end first, or hn-h1
// is refused the hand-over), and nothing is left.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cutShortByRestart } from "../../src/dcmgr/move.js";
import { installScript } from "../../src/imagebuild/install-script.js";
import { askGuest, loginCheck } from "../../src/testguest/client.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { run, vdcManage } from "../helpers/cli.js";
import { hostsCloud } from "../helpers/hosts-cloud.js";
import { musselWith } from "../helpers/mussel.js";
import { namespacedAgent, processesWith } from "../helpers/namespaced-agent.js";
import { withoutNetns } from "../helpers/netns.js";
import { commandsOnPath, repoRoot, tempDir } from "../helpers/paths.js";
import { rsaKey } from "../helpers/process-cloud.js";

const skip = withoutNetns || (!existsSync("/usr/sbin/dnsmasq") && "needs dnsmasq (dnsmasq-base)");
const home = tempDir("move-hosts");
let cloud: Awaited<ReturnType<typeof hostsCloud>>;
let mussel: ReturnType<typeof musselWith>;
let env: NodeJS.ProcessEnv;

before(async () => {
  if (skip) return;
  cloud = await hostsCloud(home, 2);
  env = cloud.env;
  mussel = musselWith(env);
  // The test guest as a UEFI, Secure Boot and TPM image, registered as an operator does.
  const packaged = await packageTestGuest(join(home, "images"), () => {}, "uefi");
  const script = join(home, "testuefi.install.sh");
  writeFileSync(
    script,
    installScript({ name: "testuefi", ...packaged, features: ["virtio", "uefi", "secure_boot", "tpm"] }),
  );
  const installed = await run("bash", [script], { ...env, PATH: `${commandsOnPath()}:${process.env.PATH}` });
  assert.equal(installed.code, 0, installed.stderr);
});

/** Agents the fault tests started again: stopped before the cloud removes their namespaces (each test ends its instances). */
const restartedAgents: ReturnType<typeof namespacedAgent>[] = [];

after(async () => {
  if (skip) return;
  for (const agent of restartedAgents) await agent.stop();
  await cloud?.stop();
  rmSync(home, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Destroys the instances and waits until they are gone: the agents the fault tests started again can then stop. */
async function destroyed(...ids: string[]) {
  for (const id of ids) await mussel("instance", "destroy", id);
  for (const id of ids)
    await cloud.until(
      async () => JSON.parse(await mussel("instance", "show", id)).state as string,
      (state) => state === "terminated",
      120_000,
    );
}

/** Room for several instances on each host (`wakame up` offers each its share of this machine's cores; TCG guests idle once booted). */
async function roomOnBothHosts() {
  for (const h of ["hn-h1", "hn-h2"]) {
    const roomy = await vdcManage(["host", "modify", h, "--cpu-cores", "8"], env);
    assert.equal(roomy.code, 0, roomy.stderr);
  }
}

/** The test guest's counter at `address`, through its probe (its group opens 7777). */
async function countAt(address: string): Promise<number> {
  const answer = await askGuest(7777, "count", 120_000, address, 8000);
  const m = /^count (\d+)/.exec(answer);
  assert.ok(m, `${address} answers its count: "${answer}"`);
  return Number(m[1]);
}

/** A user: their key, their group with `rules`, what they see of an instance, and their instances on hn-h1. */
async function userWith(name: string, rules: string) {
  const key = rsaKey(join(home, `key-${name}`));
  const keyId = JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`)).id as string;
  const group = JSON.parse(await mussel("security_group", "create", "--rule", rules)).id as string;
  const show = async (id: string) => JSON.parse(await mussel("instance", "show", id));
  /** An instance of `image` on hn-h1, followed until it runs: its id and address. */
  const runningOnH1 = async (image: string) => {
    const id = JSON.parse(
      await mussel(
        "instance",
        ...["create", "--image-id", image, "--instance-spec-name", "kvm.small"],
        ...["--ssh-key-id", keyId, "--security-groups", group, "--host-node-id", "hn-h1"],
      ),
    ).id as string;
    const running = await cloud.until(
      () => show(id),
      (i) => i.state === "running",
      600_000,
    );
    return { id, address: running.vif[0].ipv4.address as string };
  };
  return { key, group, show, runningOnH1 };
}

test("a running UEFI and TPM instance moves from hn-h1 to hn-h2: its counter goes on, same address, its group holds, its TPM's value there", {
  skip,
}, async () => {
  const { key, group, show, runningOnH1 } = await userWith(
    "live",
    "tcp:3389,3389,ip4:0.0.0.0\ntcp:7777,7777,ip4:0.0.0.0",
  );
  const { id, address } = await runningOnH1("wmi-testuefi");
  const serialOn = (h: string) => join(home, "hosts", h, "instances", id, "serial.log");
  const count = async () => {
    const m = /^count (\d+) uptime ([\d.]+)/.exec(await askGuest(7777, "count", 60_000, address, 8000));
    assert.ok(m, "the guest's counter answers");
    return { n: Number(m[1]), uptime: Number(m[2]) };
  };
  const before = await count();
  // Its first boot wrote a value into its TPM; this boot (the log is its own) read it back.
  const wrote = /tpm-nv holds ([0-9a-f]+)/.exec(readFileSync(serialOn("h1"), "utf8"))?.[1];
  assert.ok(wrote, `its TPM holds a value: ${readFileSync(serialOn("h1"), "utf8").slice(-1500)}`);

  // Asked over and over while it moves: the counter never goes back, the guest never boots.
  let watching = true;
  const seen: { n: number; uptime: number }[] = [];
  const watcher = (async () => {
    while (watching) {
      seen.push(await count());
      await sleep(200);
    }
  })();
  const asked = JSON.parse(await mussel("instance", "move", id));
  assert.equal(asked.destination_host_node_id, "hn-h2");
  const moved = await cloud.until(
    () => show(id),
    (i) => i.move?.state === "done" || i.move?.state === "failed",
  );
  watching = false;
  await watcher;
  assert.equal(moved.move.state, "done", moved.move.error);
  assert.deepEqual([moved.host_node, moved.state, moved.status], ["hn-h2", "running", "online"]);
  const afterMove = await count();
  assert.ok(
    afterMove.n > before.n && afterMove.uptime > before.uptime,
    JSON.stringify({ before, afterMove }),
  );
  for (let i = 1; i < seen.length; i++)
    assert.ok(seen[i]!.n >= seen[i - 1]!.n, `the counter went back: ${JSON.stringify(seen)}`);
  assert.doesNotMatch(readFileSync(serialOn("h2"), "utf8"), /Linux version/, "no boot on hn-h2");
  await cloud.until(
    async () => existsSync(join(home, "hosts", "h1", "instances", id)),
    (there) => !there,
    60_000,
  );

  // Its group holds on hn-h2: 3389 answers; the probe, once the group closes it, no longer does.
  const password = (await mussel("instance", "decrypt_password", id, key)).trim();
  assert.equal(await loginCheck(3389, password, 60_000, address), "OK\n");
  await mussel("security_group", "update", group, "--rule", "tcp:3389,3389,ip4:0.0.0.0");
  await cloud.until(
    () => askGuest(7777, "count", 3000, address, 2000),
    (answer) => answer === "",
    60_000,
  );

  // A reboot there reads the TPM whose state came with it.
  await mussel("instance", "reboot", id);
  await cloud.until(
    async () => readFileSync(serialOn("h2"), "utf8"),
    (log) => /tpm-nv holds/.test(log),
  );
  assert.match(readFileSync(serialOn("h2"), "utf8"), new RegExp(`tpm-nv holds ${wrote}`));
  await destroyed(id);
});

test("hn-h1 evacuated: its three instances move to hn-h2 two at a time and go on answering; a second evacuation refused meanwhile; hn-h1 enabled again", {
  skip,
}, async () => {
  await roomOnBothHosts();
  const { show, runningOnH1 } = await userWith("evacuated", "tcp:7777,7777,ip4:0.0.0.0");
  const launched = await Promise.all([0, 1, 2].map(() => runningOnH1("wmi-testwin")));
  const ids = launched.map((l) => l.id);
  const counts = () => Promise.all(launched.map((l) => countAt(l.address)));
  const before = await counts();

  const begun = await vdcManage(["host", "evacuate", "hn-h1", "--parallel", "2"], env);
  assert.equal(begun.code, 0, begun.stderr);
  const evacuation = /^(ev-\w+) running: 0 moved, 2 moving$/m.exec(begun.stdout)?.[1];
  assert.ok(evacuation, begun.stdout);
  assert.equal(begun.stdout.match(/^mv-\w+: i-\w+ to hn-h2$/gm)?.length, 2, begun.stdout);
  const again = await vdcManage(["host", "evacuate", "hn-h1"], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`hn-h1 is being evacuated already \\(${evacuation}\\)`));
  const early = await vdcManage(["host", "enable", "hn-h1"], env);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /enable it once the evacuation has ended/);

  const hostShown = async () =>
    JSON.parse((await vdcManage(["host", "show", "hn-h1", "--json"], env)).stdout) as {
      evacuation: string;
      scheduling_enabled: boolean;
    };
  const ended = await cloud.until(hostShown, (h) => !h.evacuation.includes(" running:"), 600_000);
  assert.equal(ended.evacuation, `${evacuation} done: 3 moved`);
  assert.equal(ended.scheduling_enabled, false, "nothing new on hn-h1 until it is enabled");
  for (const id of ids) {
    const i = await show(id);
    assert.deepEqual(
      [i.host_node, i.state, i.move.state],
      ["hn-h2", "running", "done"],
      `${id}: ${i.error}\n${cloud.output.err
        .split("\n")
        .filter((l) => l.includes(id))
        .join("\n")}`,
    );
  }
  const after = await counts();
  for (const [n, now] of after.entries())
    assert.ok(now > before[n]!, `each counter went on where it was: ${before} then ${after}`);

  const enabled = await vdcManage(["host", "enable", "hn-h1"], env);
  assert.equal(enabled.code, 0, enabled.stderr);
  assert.equal((await hostShown()).scheduling_enabled, true);
  await destroyed(...ids);
});

test("a halted UEFI and TPM instance moves cold to hn-h2 and powers on there: its TPM's value, its password, its address", {
  skip,
}, async () => {
  const { key, show, runningOnH1 } = await userWith("cold", "tcp:3389,3389,ip4:0.0.0.0");
  const { id, address } = await runningOnH1("wmi-testuefi");
  const serialOn = (h: string) => join(home, "hosts", h, "instances", id, "serial.log");
  const wrote = /tpm-nv holds ([0-9a-f]+)/.exec(
    await cloud.until(
      async () => readFileSync(serialOn("h1"), "utf8"),
      (log) => /tpm-nv holds [0-9a-f]+/.test(log),
    ),
  )![1];
  const password = (await mussel("instance", "decrypt_password", id, key)).trim();
  await mussel("instance", "poweroff", id);
  await cloud.until(
    () => show(id),
    (i) => i.state === "halted",
    120_000,
  );

  const asking = await run(process.execPath, [join(repoRoot, "bin/mussel.js"), "instance", "move", id], env);
  assert.equal(
    asking.code,
    0,
    `${asking.stderr}\n${cloud.output.err
      .split("\n")
      .filter((l) => l.includes(id))
      .join("\n")}`,
  );
  const asked = JSON.parse(asking.stdout);
  assert.deepEqual([asked.kind, asked.destination_host_node_id], ["cold", "hn-h2"]);
  const moved = await cloud.until(
    () => show(id),
    (i) => i.move?.state === "done" || i.move?.state === "failed",
  );
  assert.equal(moved.move.state, "done", moved.move.error);
  assert.deepEqual([moved.host_node, moved.state], ["hn-h2", "halted"]);
  await cloud.until(
    async () => existsSync(join(home, "hosts", "h1", "instances", id)),
    (there) => !there,
    60_000,
  );

  await mussel("instance", "poweron", id);
  await cloud.until(
    async () => (existsSync(serialOn("h2")) ? readFileSync(serialOn("h2"), "utf8") : ""),
    (log) => /tpm-nv holds/.test(log),
  );
  assert.match(readFileSync(serialOn("h2"), "utf8"), new RegExp(`tpm-nv holds ${wrote}`));
  assert.equal(
    await loginCheck(3389, password, 120_000, address),
    "OK\n",
    "its disk came: the same password",
  );
  await destroyed(id);
});

/** A test guest running on hn-h1 with its probe open, and its counter read through it. */
async function probedOnH1(name: string) {
  await roomOnBothHosts();
  const { show, runningOnH1 } = await userWith(name, "tcp:7777,7777,ip4:0.0.0.0");
  const { id, address } = await runningOnH1("wmi-testwin");
  const count = () => countAt(address);
  /** The move asked, followed until it copies with some progress. */
  const moveUnderWay = async () => {
    await mussel("instance", "move", id);
    await cloud.until(
      () => show(id),
      (i) => i.move?.state === "copying" && i.move.progress > 0,
      120_000,
    );
  };
  const moveEnded = () =>
    cloud.until(
      () => show(id),
      (i) => i.move?.state === "done" || i.move?.state === "failed",
      300_000,
    );
  /** Nothing of it left on hn-h2: no directory, and one QEMU of it, in hn-h1's namespace. */
  const goneFromH2 = async (h1Namespace: string) => {
    await cloud.until(
      async () => existsSync(join(home, "hosts", "h2", "instances", id)),
      (there) => !there,
      120_000,
    );
    const qemus = processesWith("qemu-system-x86_64", id);
    assert.equal(qemus.length, 1, "one QEMU of it: the source's");
    assert.equal(
      execFileSync("ip", ["netns", "identify", qemus[0]!], { encoding: "utf8" }).trim(),
      h1Namespace,
    );
  };
  /**
   * A move over hn-h1's link slowed down (so that it is still copying), and
   * `cut` while it copies: it fails with `error`, the instance running on at
   * hn-h1, its guest counting on. `mend` undoes the cut, whatever happened.
   */
  const moveFailsWhen = async (cut: () => unknown, error: RegExp, mend: () => void = () => {}) => {
    const before = await count();
    const h1 = namespacedAgent("hva.h1");
    h1.slowLink("4mbit");
    try {
      await moveUnderWay();
      await cut();
      const failed = await moveEnded();
      assert.equal(failed.move.state, "failed");
      assert.match(failed.move.error, error);
      assert.deepEqual([failed.host_node, failed.state], ["hn-h1", "running"]);
    } finally {
      mend();
      h1.slowLink(null);
    }
    assert.ok((await count()) > before, "the guest counts on at hn-h1");
  };
  return { id, moveFailsWhen, goneFromH2 };
}

test("hn-h2's agent killed while the guest's memory goes to it: the guest runs on at hn-h1; the agent back, nothing of the move is left on hn-h2", {
  skip,
}, async () => {
  const guest = await probedOnH1("killed");
  const destination = namespacedAgent("hva.h2");
  await guest.moveFailsWhen(() => destination.kill(), /^at the source: /);
  destination.start();
  restartedAgents.push(destination);
  await guest.goneFromH2(namespacedAgent("hva.h1").ns);
  await destroyed(guest.id);
});

test("hn-h2's link cut while the guest's memory goes to it: the source gives up once nothing goes; the guest runs on; the link back, nothing is left on hn-h2", {
  skip,
}, async () => {
  const guest = await probedOnH1("cut");
  const destination = namespacedAgent("hva.h2");
  await guest.moveFailsWhen(
    () => destination.link(false),
    /^at the source: nothing went to the destination for 30 s/,
    () => destination.link(true),
  );
  await guest.goneFromH2(namespacedAgent("hva.h1").ns);
  await destroyed(guest.id);
});

test("hn-h1's own agent killed while the guest's memory goes: the guest runs on at hn-h1; its agent back undoes the move; nothing is left on hn-h2", {
  skip,
}, async () => {
  const guest = await probedOnH1("source-killed");
  const source = namespacedAgent("hva.h1");
  await guest.moveFailsWhen(() => {
    source.kill();
    source.start();
    restartedAgents.push(source);
  }, /./);
  await guest.goneFromH2(source.ns);
  await destroyed(guest.id);
});

test("dcmgr restarted while the guest's memory goes to hn-h2: it fails the move; hn-h1 gives it up and its guest runs on; nothing is left on hn-h2", {
  skip,
}, async () => {
  const guest = await probedOnH1("dcmgr-restarted");
  const said = cloud.output.err.length;
  await guest.moveFailsWhen(
    () => cloud.restartDcmgr(() => sleep(3000)),
    new RegExp(`^${cutShortByRestart.split(":")[0]}:`),
  );
  assert.match(cloud.output.err.slice(said), /1 move\(s\) under way failed/, "the restarted dcmgr said so");
  await guest.goneFromH2(namespacedAgent("hva.h1").ns);
  await destroyed(guest.id);
});
