// A running instance moved between two hosts under user-mode networking,
// with real VMs: dcmgr and two host agents as commands on this machine, each
// host forwarding its VMs' ports on its own (as two machines would). The
// test guest moves live from hn-demo1 to hn-b with mussel: it then shows
// hn-b's forward for 3389, where its login check answers with the password
// it had, without a boot there; nothing of it is left on hn-demo1.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loginCheck } from "../../src/testguest/client.js";
import { launchTestwin } from "../helpers/mussel.js";
import { tempDir } from "../helpers/paths.js";
import { type ProcessCloud, processCloud, rsaKey } from "../helpers/process-cloud.js";

const home = tempDir("move-user-mode");
let cloud: ProcessCloud;

before(async () => {
  cloud = await processCloud(home);
});
after(() => cloud.close());

test("a running instance moves to hn-b under user-mode networking: its forward is hn-b's, its login check answers there with its password; nothing is left on hn-demo1", async (t) => {
  const key = rsaKey(join(home, "key"));
  const keyId = JSON.parse(await cloud.mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`))
    .id as string;
  const group = JSON.parse(
    await cloud.mussel("security_group", "create", "--rule", "tcp:3389,3389,ip4:0.0.0.0"),
  ).id as string;
  // Launched while hn-demo1 is the only host, then hn-b joins.
  const id = await launchTestwin(cloud.mussel, keyId, group);
  const running = await cloud.until(id, (i) => i.state === "running" && i.password_ready, 600_000);
  assert.equal(running.host_node, "hn-demo1");
  const password = (await cloud.mussel("instance", "decrypt_password", id, key)).trim();
  const portBefore = cloud.port3389(running);
  assert.equal(await loginCheck(portBefore, password), "OK\n");
  await cloud.addHost("b");

  await cloud.mussel("instance", "move", id);
  const moved = await cloud.until(id, (i) => i.move?.state === "done" || i.move?.state === "failed", 600_000);
  assert.equal(moved.move!.state, "done", `${moved.move!.error}\n${cloud.hvaLog()}`);
  assert.deepEqual([moved.host_node, moved.state], ["hn-b", "running"]);
  const portAfter = cloud.port3389(moved);
  assert.equal(await loginCheck(portAfter, password), "OK\n", "its login check answers at hn-b's forward");
  const serialThere = join(cloud.instancesOn("b"), id, "serial.log");
  assert.ok(
    !existsSync(serialThere) || !/Linux version/.test(readFileSync(serialThere, "utf8")),
    "no boot on hn-b",
  );
  for (let i = 0; i < 120 && existsSync(join(cloud.instancesOn(), id)); i++)
    await new Promise((r) => setTimeout(r, 500));
  assert.equal(existsSync(join(cloud.instancesOn(), id)), false, "gone from hn-demo1");
  // The source's word on the hand-over, with dcmgr's leave: said as it handed over, before its files went.
  const handedOver = new RegExp(`${id}: handed over to .* dcmgr's leave in \\d+ ms\\)`).exec(cloud.hvaLog());
  assert.ok(handedOver, `the source asked dcmgr's leave to hand the guest over:\n${cloud.hvaLog()}`);
  t.diagnostic(handedOver[0]);
  assert.notEqual(portAfter, portBefore, "hn-b chose its port while hn-demo1 held its own");
  assert.equal(await loginCheck(portBefore, password, 3000), "", "nothing answers at hn-demo1's forward");
});
