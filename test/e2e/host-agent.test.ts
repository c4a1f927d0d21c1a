// End to end, as an operator and a user would do it, with real processes and
// real VMs (the Linux test guest under TCG): dcmgr and hva started as
// commands, the host and image registered with the seed's vdc-manage commands
// and the image's .install.sh, everything else through mussel.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { installScript } from "../../src/imagebuild/install-script.js";
import { passwordRules } from "../../src/model/guest-protocol.js";
import { loginCheck } from "../../src/testguest/client.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { run, vdcManage } from "../helpers/cli.js";
import { launchTestwin, type Mussel, musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { commandsOnPath, repoRoot, tempDir } from "../helpers/paths.js";
import { qemuPids as vmPids } from "../helpers/vms.js";

const home = tempDir("e2e");
const images = join(home, "images");
const keyFile = join(home, "demo-key");
let env: NodeJS.ProcessEnv;
let dcmgr: ChildProcess;
let hva: ChildProcess | undefined;
let hvaLog = "";
let origin = "";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startProcess(command: string, args: string[], onOutput: (text: string) => void): ChildProcess {
  const child = spawn(process.execPath, [resolve(repoRoot, "bin", `${command}.js`), ...args], { env });
  child.stdout!.on("data", (d) => onOutput(String(d)));
  child.stderr!.on("data", (d) => onOutput(String(d)));
  return child;
}

async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

function startHva(...extra: string[]) {
  hva = startProcess(
    "hva",
    [
      "--node-id",
      "hva.demo1",
      "--dcmgr",
      origin,
      "--token-file",
      join(home, "hva.token"),
      "--accelerator",
      "tcg",
      // The operator's hosts entries reach every instance (the original's hva.conf metadata paths).
      "--extra-hosts",
      "fluent.local=192.168.1.101",
      ...extra,
    ],
    (t) => {
      hvaLog += t;
    },
  );
}

let mussel: Mussel;

interface Instance {
  id: string;
  state: string;
  status: string;
  error: string | null;
  password_ready: boolean;
  windows_options: { product_key: string | null } | null;
  vif: { port_forwards: { guest_port: number; host_port: number; host_address: string }[] }[];
}

const show = async (id: string) => JSON.parse(await mussel("instance", "show", id)) as Instance;

/** Polls the instance until `done`, keeping the states it passed through. */
async function until(id: string, done: (i: Instance) => boolean, ms = 180_000, seen: string[] = []) {
  const end = Date.now() + ms;
  for (;;) {
    const i = await show(id);
    if (seen.at(-1) !== i.state) seen.push(i.state);
    if (done(i)) return i;
    assert.ok(Date.now() < end, `${id} stuck in ${i.state} (${i.error}); hva said:\n${hvaLog}`);
    await sleep(250);
  }
}

/** The QEMU processes of an instance, by the instance directory on their command lines. */
const qemuPids = (id: string) => vmPids(join(home, "instances", id));

/** How often the guest of the VM now running has booted: its console says so each time (a reset keeps the log). */
const bootsOf = (id: string) =>
  (readFileSync(join(home, "instances", id, "serial.log"), "utf8").match(/wakame-testvm: boot\r?$/gm) ?? [])
    .length;

const launch = (sshKeyId: string, group: string) => launchTestwin(mussel, sshKeyId, group);

const decrypt = async (id: string) => (await mussel("instance", "decrypt_password", id, keyFile)).trim();

const port3389 = (i: Instance) => i.vif[0]!.port_forwards.find((f) => f.guest_port === 3389)!.host_port;

before(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    WAKAME_HOME: home,
    PATH: `${commandsOnPath()}:${process.env.PATH}`,
    DCMGR_HOST: "127.0.0.1",
    DCMGR_PORT: String(port),
    DCMGR_RESPONSE_FORMAT: "json",
  };
  delete env.DATABASE_URL;
  mussel = musselWith(env);
  dcmgr = startProcess("dcmgr", ["--listen", `127.0.0.1:${port}`], () => {});
  // The seed's host registration, verbatim.
  const host = await run(
    "bash",
    [
      "-c",
      'vdc-manage host add hva.demo1 --uuid hn-demo1 --display-name "demo HVA 1" --cpu-cores 100 --memory-size 10240 --hypervisor kvm --arch x86_64 --disk-space 102400 --force',
    ],
    env,
  );
  assert.equal(host.code, 0, host.stderr);
  // The image, registered by its .install.sh as a Windows image would be.
  const packaged = await packageTestGuest(images, () => {});
  const script = join(images, `${packaged.objectKey}.install.sh`);
  writeFileSync(script, installScript({ name: "testwin", ...packaged }));
  const installed = await run("bash", [script, "backupobject", "image"], env);
  assert.equal(installed.code, 0, installed.stderr);
  const token = await vdcManage(["token", "add", "--host-node-id", "hn-demo1"], env);
  writeFileSync(join(home, "hva.token"), token.stdout);
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keyFile]);
  for (let i = 0; i < 100 && !(await fetch(`${origin}/api/12.03/instance_specs`).catch(() => null)); i++)
    await sleep(100);
  startHva();
});

after(async () => {
  await stopProcess(hva);
  await stopProcess(dcmgr);
  for (const id of readdirSync(join(home, "instances"), { withFileTypes: true }).map((d) => d.name))
    for (const pid of qemuPids(id)) process.kill(pid, "SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

describe("a Windows-style instance through mussel, dcmgr and hva", { concurrency: false }, () => {
  let key = "";
  let group = "";
  let first = "";
  let password = "";

  test("launch: initializing, then running; the password decrypts with the user's key and opens the login check", async () => {
    key = (JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${keyFile}.pub`)) as Instance)
      .id;
    group = (
      JSON.parse(await mussel("security_group", "create", "--rule", "tcp:3389,3389,ip4:0.0.0.0")) as Instance
    ).id;
    // With the Windows options a user can give: they reach the guest on its metadata drive.
    first = await launchTestwin(
      mussel,
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
    const res = await fetch(`${origin}/api/12.03/instances/${first}/screenshot.png`, {
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
    assert.equal(bootsOf(first), booted + 1, `the guest booted once more; hva said:\n${hvaLog}`);
    assert.equal((await show(first)).state, "running");
    assert.deepEqual(qemuPids(first), pid, "a reboot keeps the VM's process");
    assert.equal(await loginCheck(port3389(on), password), "OK\n");
  });

  test("an agent killed during a first boot collects the password when restarted; a VM that died meanwhile is halted with an error", async () => {
    const second = await launch(key, group);
    await until(second, (i) => i.state === "initializing", 120_000);
    await stopProcess(hva, "SIGKILL");
    // While no agent runs: the first instance's VM dies, the second's first boot ends.
    for (const pid of qemuPids(first)) process.kill(pid, "SIGKILL");
    for (let i = 0; i < 600 && qemuPids(second).length > 0; i++) await sleep(250);
    assert.deepEqual(qemuPids(second), [], "the guest powered off after its first boot");
    assert.equal((await show(second)).state, "initializing");
    startHva();
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
    await stopProcess(hva);
    const from = hvaLog.length;
    startHva();
    const adopted = () => hvaLog.slice(from).includes(`${first}: QEMU found running, adopted`);
    for (let i = 0; i < 240 && !adopted(); i++) await sleep(250);
    assert.ok(adopted(), `the new agent adopted the VM; hva said:\n${hvaLog.slice(from)}`);
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
    const installed = await run("bash", [script], env);
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
    ) as Instance;
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
    await stopProcess(hva);
    startHva("--password-generation-timeout", "2");
    const id = await launch(key, group);
    const failed = await until(id, (i) => i.state === "halted", 60_000);
    assert.equal(failed.status, "error");
    assert.match(failed.error ?? "", /first boot did not finish within 2 s \(password_generation_timeout\)/);
    assert.deepEqual(qemuPids(id), []);
  });
});
