// The README's first command ends in `npm start` (`wakame up`): the
// all-in-one cloud must come up with this machine as a host and the demo
// image, launch an instance whose password decrypts, power it off on Ctrl-C,
// and start again without registering anything twice.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loginCheck } from "../../src/testguest/client.js";
import { vdcManage } from "../helpers/cli.js";
import { launchTestwin, musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { tempDir } from "../helpers/paths.js";
import { qemuPids } from "../helpers/vms.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("wakame up: API, host hn-local and demo image; an instance's password decrypts; Ctrl-C powers it off; a restart adds nothing twice", async () => {
  const home = tempDir("up");
  const port = await freePort();
  const env = upEnv(home, port);
  const mussel = musselWith(env);
  let cloud = startUp(env, port);
  try {
    await cloud.ready();
    assert.match(cloud.output.out, new RegExp(`wakame-ts is up: store SQLite ${home}/wakame.sqlite3`));
    assert.match(cloud.output.out, new RegExp(`API: +http://127.0.0.1:${port}/api/12.03`));
    assert.match(cloud.output.out, new RegExp(`web GUI: +http://127.0.0.1:${port}/\n`));
    assert.match(cloud.output.out, /host node: +hn-local \(hva.local\), VMs on tcg/);
    assert.match(cloud.output.out, /mussel instance decrypt_password i-XXXXXXXX demo-key/);
    const image = JSON.parse((await vdcManage(["image", "show", "wmi-testwin", "--json"], env)).stdout);
    assert.equal(image.os_type, "windows");
    assert.deepEqual(image.features, { virtio: true });

    // The printed commands, with the ids they print.
    const key = join(home, "demo-key");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-m", "PEM", "-N", "", "-f", key]);
    const sshKey = JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${key}.pub`)).id;
    const group = JSON.parse(
      await mussel("security_group", "create", "--rule", "tcp:3389,3389,ip4:0.0.0.0"),
    ).id;
    const id = await launchTestwin(mussel, sshKey, group);
    let instance: { state: string; vif: { port_forwards: { host_port: number }[] }[] };
    for (let i = 0; ; i++) {
      instance = JSON.parse(await mussel("instance", "show", id));
      if (instance.state === "running") break;
      assert.ok(i < 600, `still ${instance.state}:\n${cloud.output.err}`);
      await sleep(300);
    }
    const password = (await mussel("instance", "decrypt_password", id, key)).trim();
    assert.equal(await loginCheck(instance.vif[0]!.port_forwards[0]!.host_port, password), "OK\n");

    cloud.up.kill("SIGINT");
    assert.equal(await cloud.exited, 0, cloud.output.err);
    assert.match(cloud.output.err, new RegExp(`${id}: powered off`));
    assert.match(cloud.output.err, /wakame: stopped/);
    assert.deepEqual(qemuPids(home), [], "no VM left running");

    cloud = startUp(env, port);
    await cloud.ready();
    assert.equal(JSON.parse(await mussel("instance", "show", id)).state, "halted");
    const hosts = JSON.parse((await vdcManage(["host", "show", "--json"], env)).stdout);
    assert.deepEqual(
      hosts.map((h: { id: string }) => h.id),
      ["hn-local"],
    );
    const objects = JSON.parse((await vdcManage(["backupobject", "show", "--json"], env)).stdout);
    assert.deepEqual(
      objects.map((o: { id: string }) => o.id),
      ["bo-testwin"],
    );
    const tokens = JSON.parse((await vdcManage(["token", "show", "--json"], env)).stdout);
    assert.equal(tokens.length, 1, "the first run's agent token was revoked");
  } finally {
    if (cloud.up.exitCode === null) {
      cloud.up.kill("SIGINT");
      await cloud.exited;
    }
    rmSync(home, { recursive: true, force: true });
  }
});
