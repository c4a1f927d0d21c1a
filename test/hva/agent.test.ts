// The agent with real VMs (TCG) against a real dcmgr: a Windows-typed image
// (the test guest) goes pending -> initializing -> running, its password
// lands in dcmgr, decrypts with the user's key and opens the login check
// through the forwarded port; terminate removes the VM and its files.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { Agent } from "../../src/hva/agent.js";
import { AgentApi } from "../../src/hva/agent-api.js";
import { UserModeNetwork } from "../../src/hva/network/user-mode.js";
import { decryptPassword } from "../../src/model/password-crypto.js";
import { readPrivateKey } from "../../src/model/ssh-private-key.js";
import { ensureTestGuest } from "../../src/testguest/build.js";
import { startApi } from "../helpers/api.js";
import { run } from "../helpers/cli.js";
import { loginCheck } from "../helpers/guest.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const dir = tempDir("agent");
after(() => rmSync(dir, { recursive: true, force: true }));

test("a Windows-typed instance boots twice, its password lands in dcmgr, and it terminates cleanly", async () => {
  const guest = await ensureTestGuest();
  const api = await startApi("sqlite");
  const home = join(dir, "hva");
  const lines: string[] = [];
  const agent = new Agent({
    api: new AgentApi(api.origin, await api.token("host_node", "hn-demo1")),
    home,
    accel: "tcg",
    timeouts: { firstBootMs: 300_000, powerdownMs: 30_000 },
    network: new UserModeNetwork("127.0.0.1"),
    log: (l) => lines.push(l),
  });
  try {
    // The test guest, packaged and registered as a Windows image, as .install.sh would.
    const images = join(api.t.home, "images");
    mkdirSync(images, { recursive: true });
    execFileSync("tar", [
      "-C",
      resolve(guest.disk, ".."),
      "-czSf",
      join(images, "testvm.raw.tar.gz"),
      "testvm.raw",
    ]);
    const md5 = execFileSync("md5sum", [join(images, "testvm.raw.tar.gz")])
      .toString()
      .split(" ")[0]!;
    const vdc = (...args: string[]) =>
      run(process.execPath, [join(repoRoot, "bin/vdc-manage.js"), ...args], api.t.env);
    for (const args of [
      [
        "backupobject",
        "add",
        "--uuid=bo-testwin",
        "--storage-id=bkst-local",
        "--object-key=testvm.raw.tar.gz",
        "--container-format=tgz",
        "--size=67108864",
        `--checksum=${md5}`,
      ],
      [
        "image",
        "add",
        "local",
        "bo-testwin",
        "--uuid=wmi-testwin",
        "--display-name=test guest",
        "--is-public",
        "--is-cacheable",
      ],
      ["image", "features", "wmi-testwin", "--virtio"],
      ["image", "modify", "wmi-testwin", "--os-type=windows"],
    ]) {
      const r = await vdc(...args);
      assert.equal(r.code, 0, r.stderr);
    }

    const keyFile = join(dir, "id_rsa");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keyFile]);
    const key = (
      await api.req("POST", "/ssh_key_pairs.json", {
        form: { public_key: readFileSync(`${keyFile}.pub`, "utf8") },
      })
    ).body.id;
    const group = (
      await api.req("POST", "/security_groups.json", { form: { rule: "tcp:3389,3389,ip4:0.0.0.0" } })
    ).body.id;
    const launched = await api.req("POST", "/instances.json", {
      form: {
        image_id: "wmi-testwin",
        instance_spec_name: "kvm.small",
        ssh_key_id: key,
        security_groups: [group],
      },
    });
    assert.equal(launched.status, 200, launched.text);
    const id: string = launched.body.id;

    const seenStates: string[] = [];
    const until = async (done: (i: { state: string; password_ready: boolean }) => boolean, ms: number) => {
      const end = Date.now() + ms;
      for (;;) {
        await agent.tick();
        const i = (await api.req("GET", `/instances/${id}.json`)).body;
        if (seenStates.at(-1) !== i.state) seenStates.push(i.state);
        if (done(i)) return i;
        assert.ok(Date.now() < end, `timed out in state ${i.state}:\n${lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    const running = await until((i) => i.state === "running", 300_000);
    assert.equal(launched.body.state, "pending");
    assert.deepEqual(seenStates, ["initializing", "running"]);
    assert.equal(running.password_ready, true);
    assert.equal(running.error, null);
    const encrypted = (await api.req("GET", `/instances/${id}/password.json`)).body.encrypted_password;
    const password = decryptPassword(readPrivateKey(readFileSync(keyFile, "utf8")), encrypted);
    const forward = running.vif[0].port_forwards.find((f: { guest_port: number }) => f.guest_port === 3389);
    assert.equal(forward.host_address, "127.0.0.1");
    assert.equal(await loginCheck(forward.host_port, password), "OK\n");
    assert.equal(await loginCheck(forward.host_port, "not-it"), "DENIED\n");

    assert.equal((await api.req("DELETE", `/instances/${id}.json`)).status, 200);
    await until((i) => i.state === "terminated", 60_000);
    assert.equal(existsSync(join(home, "instances", id)), false, "the instance's files are gone");
  } finally {
    agent.detach();
    await api.close();
  }
});
