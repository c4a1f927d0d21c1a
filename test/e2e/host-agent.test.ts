// End to end, as an operator and a user would do it, with real processes and
// real VMs (the Linux test guest under TCG): dcmgr and hva started as
// commands, the host and image registered with the seed's vdc-manage commands
// and the image's .install.sh, everything else through mussel.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { installScript } from "../../src/imagebuild/install-script.js";
import { passwordRules } from "../../src/model/guest-protocol.js";
import { loginCheck } from "../../src/testguest/client.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { run } from "../helpers/cli.js";
import { launchTestwin } from "../helpers/mussel.js";
import { tempDir } from "../helpers/paths.js";
import { type ProcessCloud, processCloud, rsaKey, type ShownInstance } from "../helpers/process-cloud.js";
import { qemuPids as vmPids } from "../helpers/vms.js";

const home = tempDir("e2e");
const images = join(home, "images");
let keyFile = "";
let cloud: ProcessCloud;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mussel = (...args: string[]) => cloud.mussel(...args);
const show = (id: string) => cloud.show(id);
const until = (id: string, done: (i: ShownInstance) => boolean, ms?: number, seen?: string[]) =>
  cloud.until(id, done, ms, seen);

/** The QEMU processes of an instance, by the instance directory on their command lines. */
const qemuPids = (id: string) => vmPids(join(home, "instances", id));

/** How often the guest of the VM now running has booted: its console says so each time (a reset keeps the log). */
const bootsOf = (id: string) =>
  (readFileSync(join(home, "instances", id, "serial.log"), "utf8").match(/wakame-testvm: boot\r?$/gm) ?? [])
    .length;

const launch = (sshKeyId: string, group: string) => launchTestwin(cloud.mussel, sshKeyId, group);

const decrypt = async (id: string) => (await mussel("instance", "decrypt_password", id, keyFile)).trim();

const port3389 = (i: ShownInstance) => cloud.port3389(i);

before(async () => {
  // The operator's hosts entries reach every instance (the original's hva.conf metadata paths).
  cloud = await processCloud(home, { hvaArgs: ["--extra-hosts", "fluent.local=192.168.1.101"] });
  keyFile = rsaKey(join(home, "demo-key"));
});

after(() => cloud.close());

describe("a Windows-style instance through mussel, dcmgr and hva", { concurrency: false }, () => {
  let key = "";
  let group = "";
  let first = "";
  let password = "";

  test("launch: initializing, then running; the password decrypts with the user's key and opens the login check", async () => {
    key = (
      JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${keyFile}.pub`)) as ShownInstance
    ).id;
    group = (
      JSON.parse(
        await mussel("security_group", "create", "--rule", "tcp:3389,3389,ip4:0.0.0.0"),
      ) as ShownInstance
    ).id;
    // With the Windows options a user can give: they reach the guest on its metadata drive.
    first = await launchTestwin(
      cloud.mussel,
      key,
      group,
      ...["--windows-firewall", "true", "--auto-activate", "true", "--kms-host", "kms.example.com:1688"],
      ...["--product-key", "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2", "--password-retries", "3"],
    );
    const states: string[] = [];
    const running = await until(first, (i) => i.state === "running", 180_000, states);
    assert.deepEqual(
      states.filter((s) => s !== "pending"),
      ["initializing", "running"],
    );
    assert.equal(running.status, "online");
    assert.equal(running.password_ready, true);
    password = await decrypt(first);
    assert.equal(password.length, 10);
    assert.ok(password.replace(/[A-Za-z0-9]/g, "").length >= 2, `${password} has 2 non-alphanumerics`);
    assert.ok(
      [...password].every((c) => passwordRules.alphabet.includes(c)),
      `${password}: the protocol's alphabet`,
    );
    assert.equal(await loginCheck(port3389(running), password), "OK\n");
    assert.equal(await loginCheck(port3389(running), `${password}x`), "DENIED\n");
    assert.equal(qemuPids(first).length, 1);
    assert.match(
      readFileSync(join(home, "instances", first, "serial.log"), "utf8"),
      /wakame-testvm: options firewall=on auto-activate=on kms=kms\.example\.com:1688 product-key=\*{5}-\*{5}-\*{5}-\*{5}-VWXY2 retries=3/,
    );
    assert.equal(running.windows_options?.product_key, "*****-*****-*****-*****-VWXY2");
    assert.match(
      readFileSync(join(home, "instances", first, "serial.log"), "utf8"),
      /wakame-testvm: extra-hosts fluent\.local=192\.168\.1\.101\r?$/m,
    );
  });

  test("the console screenshot is a PNG from the running VM", async () => {
    const res = await fetch(`${cloud.origin}/api/12.03/instances/${first}/screenshot.png`, {
      headers: { "X-VDC-Account-ID": "a-shpoolxx" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    const png = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
    assert.ok(png.length > 1000, `a real picture, not an empty one (${png.length} bytes)`);
  });

  test("poweroff, poweron and reboot keep the same password", async () => {
    await mussel("instance", "poweroff", first);
    const halted = await until(first, (i) => i.state === "halted", 60_000);
    assert.equal(halted.error, null);
    assert.deepEqual(qemuPids(first), []);
    await mussel("instance", "poweron", first);
    const on = await until(first, (i) => i.state === "running", 60_000);
    assert.equal(await decrypt(first), password);
    assert.equal(await loginCheck(port3389(on), password), "OK\n");
    const pid = qemuPids(first);
    const booted = bootsOf(first);
    await mussel("instance", "reboot", first);
    for (let i = 0; i < 480 && bootsOf(first) === booted; i++) await sleep(250);
    assert.equal(bootsOf(first), booted + 1, `the guest booted once more; hva said:\n${cloud.hvaLog()}`);
    assert.equal((await show(first)).state, "running");
    assert.deepEqual(qemuPids(first), pid, "a reboot keeps the VM's process");
    assert.equal(await loginCheck(port3389(on), password), "OK\n");
  });

  test("an agent killed during a first boot collects the password when restarted; a VM that died meanwhile is halted with an error", async () => {
    const second = await launch(key, group);
    await until(second, (i) => i.state === "initializing", 120_000);
    await cloud.stopHva("SIGKILL");
    // While no agent runs: the first instance's VM dies, the second's first boot ends.
    for (const pid of qemuPids(first)) process.kill(pid, "SIGKILL");
    for (let i = 0; i < 600 && qemuPids(second).length > 0; i++) await sleep(250);
    assert.deepEqual(qemuPids(second), [], "the guest powered off after its first boot");
    assert.equal((await show(second)).state, "initializing");
    cloud.startHva();
    const running = await until(second, (i) => i.state === "running", 120_000);
    assert.equal(running.password_ready, true);
    assert.equal(qemuPids(second).length, 1, "one VM, no twin");
    assert.equal(await loginCheck(port3389(running), await decrypt(second)), "OK\n");
    const died = await until(first, (i) => i.state === "halted", 30_000);
    assert.equal(died.status, "error");
    assert.match(died.error ?? "", /QEMU exited/);

    await mussel("instance", "destroy", second);
    await until(second, (i) => i.state === "terminated", 60_000);
  });

  test("an agent restarted while its VMs run adopts them without starting twins", async () => {
    await mussel("instance", "poweron", first);
    const on = await until(first, (i) => i.state === "running" && i.status === "online", 60_000);
    const pids = qemuPids(first);
    await cloud.stopHva();
    const from = cloud.hvaLog().length;
    cloud.startHva();
    const adopted = () => cloud.hvaLog().slice(from).includes(`${first}: QEMU found running, adopted`);
    for (let i = 0; i < 240 && !adopted(); i++) await sleep(250);
    assert.ok(adopted(), `the new agent adopted the VM; hva said:\n${cloud.hvaLog().slice(from)}`);
    // A few more passes of the new agent: still the one VM.
    await sleep(3000);
    assert.deepEqual(qemuPids(first), pids);
    assert.equal((await show(first)).state, "running");
    assert.equal(await loginCheck(port3389(on), password), "OK\n");
  });

  test("terminate stops the VM and removes its files", async () => {
    await mussel("instance", "destroy", first);
    await until(first, (i) => i.state === "terminated", 60_000);
    assert.deepEqual(qemuPids(first), []);
    assert.equal(existsSync(join(home, "instances", first)), false);
  });

  test("a corrupt image fails its instance with the checksum message and leaves nothing in the cache", async () => {
    const packaged = await packageTestGuest(images, () => {});
    const script = join(images, "corrupt.install.sh");
    writeFileSync(script, installScript({ name: "corrupt", ...packaged, checksum: "0".repeat(32) }));
    const installed = await run("bash", [script], cloud.env);
    assert.equal(installed.code, 0, installed.stderr);
    const launched = JSON.parse(
      await mussel(
        "instance",
        "create",
        "--image-id",
        "wmi-corrupt",
        "--instance-spec-name",
        "kvm.small",
        "--ssh-key-id",
        key,
      ),
    ) as ShownInstance;
    const failed = await until(launched.id, (i) => i.state === "halted", 60_000);
    assert.equal(failed.status, "error");
    assert.match(
      failed.error ?? "",
      /image checksum mismatch for bo-corrupt: expected 0{32}, got [0-9a-f]{32}/,
    );
    const cached = readdirSync(join(home, "image-cache"));
    assert.deepEqual(
      cached.filter((f) => f.includes("bo-corrupt")),
      [],
      `nothing of bo-corrupt in the cache: ${cached}`,
    );
    assert.deepEqual(qemuPids(launched.id), []);
  });

  test("a first boot that outlasts password_generation_timeout fails with that message, nothing left running", async () => {
    await cloud.stopHva();
    cloud.startHva("--password-generation-timeout", "2");
    const id = await launch(key, group);
    const failed = await until(id, (i) => i.state === "halted", 60_000);
    assert.equal(failed.status, "error");
    assert.match(failed.error ?? "", /first boot did not finish within 2 s \(password_generation_timeout\)/);
    assert.deepEqual(qemuPids(id), []);
  });
});
