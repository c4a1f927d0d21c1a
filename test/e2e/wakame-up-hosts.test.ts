// `wakame up --hosts 2 --network bridge` (issue 12): two hosts on this
// machine, each a network namespace with its own hva and VMs, joined through
// a switch namespace; this machine is the demo network's gateway on the
// switch, so the instances answer here at their own addresses. Ctrl-C powers
// them off and takes the namespaces away.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { storeConfig } from "../../src/store/config.js";
import { openStore } from "../../src/store/store.js";
import { loginCheck } from "../../src/testguest/client.js";
import { lockHosts } from "../helpers/hosts-lock.js";
import { launchTestwin, musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { withoutNetns } from "../helpers/netns.js";
import { tempDir } from "../helpers/paths.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";

const skip = withoutNetns || (!existsSync("/usr/sbin/dnsmasq") && "needs dnsmasq (dnsmasq-base)");
const home = tempDir("up-hosts");
const key = join(home, "key");
let cloud: ReturnType<typeof startUp>;
let mussel: ReturnType<typeof musselWith>;

/** The namespaced hosts are this file's while it runs (hosts-lock.ts). */
let unlock = () => {};

before(async () => {
  if (skip) return;
  unlock = await lockHosts();
  const port = await freePort();
  const env = upEnv(home, port);
  mussel = musselWith(env);
  cloud = startUp(env, port, { extra: ["--network", "bridge", "--hosts", "2"] });
  await cloud.ready();
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", key]);
});

after(async () => {
  if (skip) return;
  await cloud?.stop();
  unlock();
  rmSync(home, { recursive: true, force: true });
});

test("two instances run on the two namespaced hosts and answer here at their own addresses; Ctrl-C stops them all", {
  skip,
}, async () => {
  assert.match(cloud.output.out, /host nodes: hn-h1, hn-h2/);
  const keyId = JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`)).id;
  const group = JSON.parse(
    await mussel("security_group", "create", "--rule", "tcp:3389,3389,ip4:0.0.0.0"),
  ).id;
  const ids = [await launchTestwin(mussel, keyId, group), await launchTestwin(mussel, keyId, group)];
  const shown = [];
  for (const id of ids) {
    for (const end = Date.now() + 240_000; ; ) {
      const i = JSON.parse(await mussel("instance", "show", id));
      if (i.state === "running") {
        shown.push(i);
        break;
      }
      assert.ok(Date.now() < end, `${id}: ${i.state} (${i.error})\n${cloud.output.err}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  assert.deepEqual(shown.map((i) => i.host_node).sort(), ["hn-h1", "hn-h2"], "one on each host");
  for (const i of shown) {
    const password = (await mussel("instance", "decrypt_password", i.id, key)).trim();
    assert.equal(
      await loginCheck(3389, password, 60_000, i.vif[0].ipv4.address),
      "OK\n",
      `${i.id} at ${i.vif[0].ipv4.address}`,
    );
  }
  await cloud.stop();
  assert.ok(!existsSync("/run/netns/wk-h1") && !existsSync("/run/netns/wk-sw"), "the namespaces are gone");
  // Nothing holds them: their links go with them (a DHCP server or a VM left would keep them), as the
  // kernel's cleanup of a namespace runs, a moment later.
  const gone = () => !existsSync("/sys/class/net/wk-m1") && !existsSync("/sys/class/net/wk-mgmt");
  for (let i = 0; i < 100 && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
  const left = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => /dnsmasq|qemu-system/.test(l));
  assert.ok(gone(), `the management links are gone; still running:\n${left.join("\n")}\n${cloud.output.err}`);
  const env = upEnv(home, 0);
  const store = await openStore(storeConfig(env), { imagesDir: join(home, "images") });
  try {
    const states = await store.db.selectFrom("instances").select("state").where("id", "in", ids).execute();
    assert.deepEqual(
      states.map((s) => s.state),
      ["halted", "halted"],
      "powered off through the API",
    );
  } finally {
    await store.close();
  }
});
