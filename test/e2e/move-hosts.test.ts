// Moving a running instance between two hosts, as a user asks it: `wakame up
// --hosts 2 --network bridge` (each host agent in its own network namespace,
// the hosts reaching each other over the management bridge), the test guest
// as a UEFI, Secure Boot and TPM image, launched on hn-h1 and moved with
// `mussel instance move`. Its counter goes on across the move, it answers at
// the same address from this machine, its security group holds on the new
// host, and after a reboot there its TPM still holds the value its first
// boot wrote.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { installScript } from "../../src/imagebuild/install-script.js";
import { askGuest, loginCheck } from "../../src/testguest/client.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { run } from "../helpers/cli.js";
import { musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { withoutNetns } from "../helpers/netns.js";
import { commandsOnPath, tempDir } from "../helpers/paths.js";
import { rsaKey } from "../helpers/process-cloud.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";

const skip = withoutNetns || (!existsSync("/usr/sbin/dnsmasq") && "needs dnsmasq (dnsmasq-base)");
const home = tempDir("move-hosts");
let cloud: ReturnType<typeof startUp>;
let mussel: ReturnType<typeof musselWith>;
let env: NodeJS.ProcessEnv;

before(async () => {
  if (skip) return;
  const port = await freePort();
  env = upEnv(home, port);
  mussel = musselWith(env);
  cloud = startUp(env, port, { extra: ["--network", "bridge", "--hosts", "2"] });
  await cloud.ready();
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

after(async () => {
  if (skip) return;
  await cloud?.stop();
  rmSync(home, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a running UEFI and TPM instance moves from hn-h1 to hn-h2: its counter goes on, same address, its group holds, its TPM's value there", {
  skip,
}, async () => {
  const key = rsaKey(join(home, "key"));
  const keyId = JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`)).id as string;
  const group = JSON.parse(
    await mussel(
      "security_group",
      "create",
      "--rule",
      "tcp:3389,3389,ip4:0.0.0.0\ntcp:7777,7777,ip4:0.0.0.0",
    ),
  ).id as string;
  const show = async (id: string) => JSON.parse(await mussel("instance", "show", id));
  const id = JSON.parse(
    await mussel(
      "instance",
      ...["create", "--image-id", "wmi-testuefi", "--instance-spec-name", "kvm.small"],
      ...["--ssh-key-id", keyId, "--security-groups", group, "--host-node-id", "hn-h1"],
    ),
  ).id as string;
  const running = await cloud.until(
    () => show(id),
    (i) => i.state === "running",
    600_000,
  );
  const address = running.vif[0].ipv4.address as string;
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
});
