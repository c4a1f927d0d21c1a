// Instances' own firmware and TPM on real OVMF (Debian's ovmf), real swtpm
// and real QEMU (TCG), through dcmgr and the host agent. The disk is blank: what boots is the firmware,
// which tries its boot options, ends at its built-in UEFI Shell, and says so
// on the serial console. Under Secure Boot (Microsoft's keys enrolled by the
// template) that shell is refused: "Security Violation", the firmware really
// enforcing. The variable store is the instance's own file, kept (the same
// file, not a fresh copy) across power-off/on and an agent's restart. A TPM
// image's VM has its own swtpm, its state in the instance's directory; a
// swtpm killed under a running VM halts the instance with why. The UEFI test
// guest boots under Secure Boot, and what its first boot writes into its TPM
// (tpm2-tools, an NV index) is there at every later boot, and only there.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Agent } from "../../src/hva/agent.js";
import { AgentApi } from "../../src/hva/agent-api.js";
import { ImageCache } from "../../src/hva/image-cache.js";
import { InstanceDirectories } from "../../src/hva/instance-files.js";
import { UserModeNetwork } from "../../src/hva/network/user-mode.js";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { QemuDriver } from "../../src/hva/vm/qemu-driver.js";
import { installScript } from "../../src/imagebuild/install-script.js";
import { ensureTestGuest } from "../../src/testguest/build.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { blankBackupObject, launchInstance, startApi, type TestApi, userRequest } from "../helpers/api.js";
import { run } from "../helpers/cli.js";
import { commandsOnPath, tempDir } from "../helpers/paths.js";
import { backupObjectRow, imageRow } from "../helpers/stores.js";
import { qemuPids } from "../helpers/vms.js";

let api: TestApi;
let dcmgr: AgentApi;
const home = tempDir("firmware-e2e");
const dirs = new InstanceDirectories(join(home, "instances"));
const log: string[] = [];
let agent: Agent;

function newAgent(): Agent {
  return new Agent({
    api: dcmgr,
    instances: dirs,
    imageCache: new ImageCache(join(home, "image-cache"), (line) => log.push(line)),
    vms: new QemuDriver("tcg", (line) => log.push(line)),
    host: { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: true },
    timeouts: { firstBootMs: 600_000, powerdownMs: 1000 },
    network: new UserModeNetwork({
      forwardAddress: "127.0.0.1",
      guestUser: null,
      instances: dirs,
      log: (line) => log.push(line),
    }),
    log: (line) => log.push(line),
  });
}

/** Waits until the instance's serial console shows `text` (OVMF under TCG takes its time). */
async function consoleShows(id: string, text: string, timeoutMs = 240_000): Promise<string> {
  const serial = dirs.of(id).serialLog;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const said = existsSync(serial) ? readFileSync(serial, "latin1") : "";
    if (said.includes(text)) return said;
    if (Date.now() > until)
      assert.fail(`${id}'s console never showed '${text}'; it showed:\n${said.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The processes named `name` whose command line mentions `mention`. */
function pidsMentioning(name: string, mention: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, "latin1");
        return cmd.startsWith(name) && cmd.includes(mention);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const shown = async (id: string) => (await api.req("GET", `/instances/${id}.json`)).body;
const md5 = (file: string) => createHash("md5").update(readFileSync(file)).digest("hex");

before(async () => {
  api = await startApi("sqlite");
  await blankBackupObject(api, "bo-blank", 4 << 20);
  await api.store.db
    .insertInto("images")
    .values([
      imageRow({ id: "wmi-uefi", backup_object_id: "bo-blank", features: '{"uefi":true}' }),
      imageRow({ id: "wmi-sb", backup_object_id: "bo-blank", features: '{"uefi":true,"secure_boot":true}' }),
      imageRow({ id: "wmi-tpm", backup_object_id: "bo-blank", features: '{"uefi":true,"tpm":true}' }),
    ])
    .execute();
  dcmgr = new AgentApi([api.origin], await api.token("host_node", "hn-demo1"));
  // As the agent does at its start: the scheduler places UEFI and TPM images only where they can run.
  await dcmgr.heartbeat({ kvm: false, uefi: true, secure_boot: true, tpm: true, cpu_model: "Nehalem" });
  agent = newAgent();
});

after(async () => {
  agent.detach();
  for (const pid of qemuPids(join(home, "instances"))) process.kill(pid, "SIGKILL");
  await api.close();
  rmSync(home, { recursive: true, force: true });
});

describe("UEFI instances on OVMF", { concurrency: false }, () => {
  let sb = "";
  let plain = "";

  test("Secure Boot enforced with the template's keys; plain UEFI runs what it finds", async () => {
    sb = await launchInstance(api, "wmi-sb");
    plain = await launchInstance(api, "wmi-uefi");
    await agent.tick();
    assert.equal((await shown(sb)).state, "running", log.join("\n"));
    assert.equal((await shown(plain)).state, "running", log.join("\n"));
    const refused = await consoleShows(sb, "Security Violation");
    assert.match(refused, /failed to start Boot\d+ "EFI Internal Shell".*Security Violation/);
    const ran = await consoleShows(plain, "UEFI Interactive Shell");
    assert.doesNotMatch(ran, /Security Violation/);
  });

  test("the variable store is the instance's own, kept across power-off/on and an agent's restart", async () => {
    const store = dirs.of(sb).efiVars;
    const inode = statSync(store).ino;
    assert.notEqual(md5(store), md5(debianOvmf.secureBootVars), "the firmware wrote its boot options");
    await userRequest(api, "PUT", `/instances/${sb}/poweroff.json`, { force: "true" });
    await agent.tick();
    assert.equal((await shown(sb)).state, "halted");
    await userRequest(api, "PUT", `/instances/${sb}/poweron.json`);
    await agent.tick();
    assert.equal((await shown(sb)).state, "running");
    assert.equal(statSync(store).ino, inode, "the same file, not a fresh copy");
    await consoleShows(sb, "Security Violation");

    agent.detach();
    agent = newAgent();
    await agent.tick();
    assert.ok(log.includes(`${sb}: QEMU found running, adopted`));
    assert.equal(statSync(store).ino, inode);
    assert.equal(qemuPids(dirs.of(sb).dir).length, 1, "no twin");
  });

  test("a TPM of its own: swtpm with its state in the instance's directory, its death halting the instance", async () => {
    const id = await launchInstance(api, "wmi-tpm");
    await agent.tick();
    assert.equal((await shown(id)).state, "running", log.join("\n"));
    const files = dirs.of(id);
    const swtpm = () => pidsMentioning("swtpm", files.tpmState);
    assert.equal(swtpm().length, 1, "one swtpm, on this instance's state");
    const qemu = readFileSync(`/proc/${qemuPids(files.dir)[0]}/cmdline`, "latin1").split("\0");
    assert.ok(qemu.includes("tpm-tis,tpmdev=tpm0"), qemu.join(" "));
    const state = join(files.tpmState, "tpm2-00.permall");
    assert.ok(existsSync(state));
    await consoleShows(id, "UEFI Interactive Shell");

    // Killed under the running VM: the guest has lost its TPM, and the instance says why.
    process.kill(swtpm()[0]!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    await agent.tick();
    const halted = await shown(id);
    assert.equal(halted.state, "halted");
    assert.match(halted.error ?? "", /its TPM \(swtpm\) ended while the VM ran/);
    assert.equal(qemuPids(files.dir).length, 0);

    // Powered on again: the same TPM state, a new swtpm; it ends with its QEMU.
    const kept = readFileSync(state);
    await userRequest(api, "PUT", `/instances/${id}/poweron.json`);
    await agent.tick();
    assert.equal((await shown(id)).state, "running");
    assert.equal(swtpm().length, 1);
    assert.deepEqual(readFileSync(state), kept, "its state kept");
    await userRequest(api, "DELETE", `/instances/${id}.json`);
    await agent.tick();
    assert.equal((await shown(id)).state, "terminated");
    assert.equal(swtpm().length, 0, "no swtpm outlives its instance");
    assert.equal(existsSync(files.dir), false);
  });

  /** The UEFI test guest's image and a key for it, made by the first test that boots it. */
  let keyId = "";
  let guest = "";

  /** Launches the UEFI test guest and waits until its first boot is done and it runs again. */
  async function launchUefiGuest(image = "wmi-testuefi"): Promise<string> {
    const id = await launchInstance(api, image, keyId);
    for (let i = 0; i < 300; i++) {
      await agent.tick();
      const now = await shown(id);
      if (now.state === "running") break;
      if (now.state === "halted") assert.fail(`halted: ${now.error}\n${log.join("\n")}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const running = await shown(id);
    assert.equal(running.state, "running", log.join("\n"));
    assert.equal(running.error, null);
    return id;
  }

  /**
   * The values the guest's boots since its QEMU started said its TPM's NV
   * index holds, once there are `boots` of them (init's tpm_nv).
   */
  async function nvValues(id: string, boots: number): Promise<string[]> {
    const lines = () =>
      [...readFileSync(dirs.of(id).serialLog, "latin1").matchAll(/wakame-testvm: tpm-nv (\w+) ?(\w*)/g)].map(
        (m) => `${m[1]} ${m[2]}`.trim(),
      );
    await consoleShows(id, "wakame-testvm: tpm-nv");
    for (let i = 0; lines().length < boots; i++) {
      assert.ok(i < 240, `${id}: ${boots} boots never said their TPM's value: ${lines().join("; ")}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return lines();
  }

  test("the test guest on UEFI, Secure Boot and a TPM, as a Windows image: first boot, password, and what it booted on", async () => {
    const packaged = await packageTestGuest(join(api.t.home, "images"), () => {}, "uefi");
    const script = join(home, "testuefi.install.sh");
    writeFileSync(
      script,
      installScript({ name: "testuefi", ...packaged, features: ["virtio", "uefi", "secure_boot", "tpm"] }),
    );
    const installed = await run("bash", [script], {
      ...api.t.env,
      PATH: `${commandsOnPath()}:${process.env.PATH}`,
    });
    assert.equal(installed.code, 0, installed.stderr);
    const keyFile = join(home, "key");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keyFile]);
    keyId = (
      await api.req("POST", "/ssh_key_pairs.json", {
        form: { public_key: readFileSync(`${keyFile}.pub`, "utf8") },
      })
    ).body.id;
    guest = await launchUefiGuest();
    const said = await consoleShows(guest, "wakame-testvm: hardware");
    assert.match(said, /EFI stub: UEFI Secure Boot is enabled/);
    assert.match(said, /wakame-testvm: hardware firmware=uefi secure-boot=on cpu=popcnt,sse4_2 tpm=2/);
    const password = await api.req("GET", `/instances/${guest}/password.json`);
    assert.equal(password.status, 200, password.text);
  });

  test("what the guest wrote into its TPM on its first boot it reads after a reboot, a power-off/on and an agent's restart; another instance never sees it", async () => {
    assert.ok(guest, "the previous test launched the guest");
    // The first boot wrote a value (later boots only read): the second boot finds it.
    const [second] = await nvValues(guest, 1);
    assert.match(second ?? "", /^holds [0-9a-f]{16}$/);

    await userRequest(api, "PUT", `/instances/${guest}/reboot.json`);
    await agent.tick();
    assert.deepEqual(await nvValues(guest, 2), [second, second], "after a reboot");

    await userRequest(api, "PUT", `/instances/${guest}/poweroff.json`, { force: "true" });
    await agent.tick();
    assert.equal((await shown(guest)).state, "halted");
    await userRequest(api, "PUT", `/instances/${guest}/poweron.json`);
    await agent.tick();
    assert.deepEqual(await nvValues(guest, 1), [second], "after a power-off and on");

    agent.detach();
    agent = newAgent();
    await agent.tick();
    assert.ok(log.includes(`${guest}: QEMU found running, adopted`));
    await userRequest(api, "PUT", `/instances/${guest}/reboot.json`);
    await agent.tick();
    assert.deepEqual(await nvValues(guest, 2), [second, second], "after the agent's restart");

    // Another instance of the same image: its first boot found its TPM empty and wrote its own.
    const other = await launchUefiGuest();
    const [its] = await nvValues(other, 1);
    assert.match(its ?? "", /^holds [0-9a-f]{16}$/);
    assert.notEqual(its, second, "the other instance's TPM is its own");
    await userRequest(api, "DELETE", `/instances/${other}.json`);
    await agent.tick();
  });

  test("a backup of the guest keeps its variable store and not its TPM: an instance of it boots under Secure Boot with an empty TPM", async () => {
    assert.ok(guest, "the first test launched the guest");
    await userRequest(api, "PUT", `/instances/${guest}/poweroff.json`, { force: "true" });
    await agent.tick();
    const store = md5(dirs.of(guest).efiVars);
    const asked = await api.req("PUT", `/instances/${guest}/backup.json`, { form: {} });
    assert.equal(asked.status, 200, asked.text);
    await agent.tick();
    const made = (await api.req("GET", `/images/${asked.body.image_id}.json`)).body;
    assert.equal(made.state, "available", `${made.error}\n${log.join("\n")}`);
    assert.deepEqual(made.features, { virtio: true, uefi: true, secure_boot: true, tpm: true });
    const object = (await api.req("GET", `/backup_objects/${asked.body.backup_object_id}.json`)).body;
    const packed = join(api.t.home, "images", object.object_key);
    const kept = execFileSync("tar", ["-xzOf", packed, "efivars.fd"]);
    assert.equal(
      createHash("md5").update(kept).digest("hex"),
      store,
      "the stored variable store is the instance's",
    );

    const copy = await launchUefiGuest(asked.body.image_id);
    const said = await consoleShows(copy, "wakame-testvm: hardware");
    assert.match(said, /wakame-testvm: hardware firmware=uefi secure-boot=on cpu=popcnt,sse4_2 tpm=2/);
    assert.deepEqual(await nvValues(copy, 1), ["empty"], "a TPM of its own, not the source's");
    for (const id of [guest, copy]) await userRequest(api, "DELETE", `/instances/${id}.json`);
    await agent.tick();
  });

  test("the same guest with its kernel's signature removed does not boot under Secure Boot: the first boot times out", async () => {
    const guest = await ensureTestGuest();
    const images = join(api.t.home, "images");
    const unsigned = join(home, "unsigned");
    mkdirSync(unsigned, { recursive: true });
    const disk = join(unsigned, "testvm-uefi.raw");
    copyFileSync(guest.uefiDisk, disk);
    const esp = `${disk}@@1M`;
    execFileSync("mcopy", ["-i", esp, "::/vmlinuz", join(unsigned, "vmlinuz")]);
    execFileSync("sbattach", ["--remove", join(unsigned, "vmlinuz")]);
    execFileSync("mcopy", ["-o", "-i", esp, join(unsigned, "vmlinuz"), "::/vmlinuz"]);
    execFileSync("tar", ["-C", unsigned, "-czSf", join(images, "unsigned.raw.tar.gz"), "testvm-uefi.raw"]);
    const tgz = readFileSync(join(images, "unsigned.raw.tar.gz"));
    await api.store.db
      .insertInto("backup_objects")
      .values(
        backupObjectRow({
          id: "bo-unsigned",
          object_key: "unsigned.raw.tar.gz",
          container_format: "tgz",
          size: statSync(disk).size,
          allocation_size: tgz.length,
          checksum: createHash("md5").update(tgz).digest("hex"),
        }),
      )
      .execute();
    await api.store.db
      .insertInto("images")
      .values(
        imageRow({
          id: "wmi-unsigned",
          backup_object_id: "bo-unsigned",
          os_type: "windows",
          features: '{"virtio":true,"uefi":true,"secure_boot":true}',
        }),
      )
      .execute();
    const id = await launchInstance(api, "wmi-unsigned", keyId);
    await agent.tick();
    assert.equal((await shown(id)).state, "initializing", log.join("\n"));
    const said = await consoleShows(id, "bad shim signature");
    assert.doesNotMatch(said, /wakame-testvm/, "the kernel never ran");
    // The first boot's time is up: the agent ends it with the password_generation_timeout error.
    await agent.tick({}, Date.now() + 600_000 + 1000);
    const halted = await shown(id);
    assert.equal(halted.state, "halted");
    assert.match(
      halted.error ?? "",
      /first boot did not finish within 600 s \(password_generation_timeout\)/,
    );
    await userRequest(api, "DELETE", `/instances/${id}.json`);
    await agent.tick();
  });

  test("terminate removes the variable store with the instance", async () => {
    for (const id of [sb, plain]) await userRequest(api, "DELETE", `/instances/${id}.json`);
    await agent.tick();
    for (const id of [sb, plain]) {
      assert.equal((await shown(id)).state, "terminated");
      assert.equal(existsSync(dirs.of(id).dir), false);
    }
  });
});
