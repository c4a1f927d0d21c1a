// The host agent never acts on a view of an instance older than its own last
// action on it, and dcmgr never takes a report made from an outdated view.
// Each transition is forced, not hoped for: a read of dcmgr made before the
// agent's action (and before the user's request that led to it) is held until
// the action has ended, then let go; or a report is held while the user
// changes the instance. The instance must stay as the action left it, with
// the right number of QEMU processes, right after the late answer and after
// later passes. Real dcmgr, real agent, real QEMU (the test guest, TCG); the
// passes are driven one by one instead of by the agent's timer.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Agent } from "../../src/hva/agent.js";
import { ImageCache } from "../../src/hva/image-cache.js";
import { InstanceDirectories } from "../../src/hva/instance-files.js";
import { startLoop } from "../../src/hva/loop.js";
import { UserModeNetwork } from "../../src/hva/network/user-mode.js";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { QemuDriver } from "../../src/hva/vm/qemu-driver.js";
import { installScript } from "../../src/imagebuild/install-script.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { launchInstance, startApi, type TestApi, userRequest } from "../helpers/api.js";
import { run } from "../helpers/cli.js";
import { HeldAgentApi } from "../helpers/held-agent-api.js";
import { commandsOnPath, tempDir } from "../helpers/paths.js";
import { imageRow } from "../helpers/stores.js";
import { qemuPids } from "../helpers/vms.js";

const timeouts = { firstBootMs: 1_800_000, powerdownMs: 60_000 };
let api: TestApi;
let held: HeldAgentApi;
let agent: Agent;
let agentHome = "";
const log: string[] = [];
let keyId = "";

const vms = (id: string) => qemuPids(join(agentHome, "instances", id)).length;
const shown = async (id: string) => (await api.req("GET", `/instances/${id}.json`)).body;

const launch = (image: string) => launchInstance(api, image, keyId);

const request = (method: string, path: string, form: Record<string, string> = {}) =>
  userRequest(api, method, path, form);

/**
 * A pass whose read of dcmgr is made now, before `meanwhile` (the user's
 * request and the agent's pass that acts on it), and answered after it.
 */
async function staleReadAcross(meanwhile: () => Promise<unknown>): Promise<void> {
  const read = held.holdNextRead();
  const late = agent.tick();
  await read.reached;
  await meanwhile();
  read.release();
  await late;
}

/** The passes after the late answer, which see the truth: they must find nothing to undo. */
async function laterPasses(): Promise<void> {
  for (let i = 0; i < 3; i++) await agent.tick();
}

const actionsOn = (id: string, action: string) =>
  log.filter((l) => l.startsWith(`${id}: `) && l.includes(`-> ${action}`)).length;

/** The state the user sees, and the instance's VMs. */
async function expectInstance(id: string, state: string, error: RegExp | null, processes: 0 | 1) {
  const i = await shown(id);
  assert.equal(i.state, state, `${id} ${i.state} (${i.error}); the agent said:\n${log.join("\n")}`);
  if (error === null) assert.equal(i.error, null);
  else assert.match(i.error ?? "", error);
  assert.equal(vms(id), processes, `${id}: ${processes} QEMU process(es)`);
}

before(async () => {
  api = await startApi("sqlite");
  const env = { ...api.t.env, PATH: `${commandsOnPath()}:${process.env.PATH}` };
  const packaged = await packageTestGuest(join(api.t.home, "images"), () => {});
  const script = join(api.t.home, "testwin.install.sh");
  writeFileSync(script, installScript({ name: "testwin", ...packaged }));
  const installed = await run("bash", [script], env);
  assert.equal(installed.code, 0, installed.stderr);
  // The same disk as a Linux image: no first boot, so it runs at once.
  await api.store.db
    .insertInto("images")
    .values(
      imageRow({
        id: "wmi-testlinux",
        backup_object_id: "bo-testwin",
        features: '{"virtio":true}',
        is_cacheable: 1,
      }),
    )
    .execute();
  const keyFile = join(api.t.home, "key");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keyFile]);
  keyId = (
    await api.req("POST", "/ssh_key_pairs.json", {
      form: { public_key: readFileSync(`${keyFile}.pub`, "utf8") },
    })
  ).body.id;

  agentHome = tempDir("stale-agent");
  mkdirSync(join(agentHome, "instances"));
  held = new HeldAgentApi([api.origin], await api.token("host_node", "hn-demo1"));
  agent = new Agent({
    api: held,
    instances: new InstanceDirectories(join(agentHome, "instances")),
    imageCache: new ImageCache(join(agentHome, "image-cache"), (line) => log.push(line)),
    vms: new QemuDriver("tcg", (line) => log.push(line)),
    host: { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: true },
    timeouts,
    network: new UserModeNetwork({
      forwardAddress: "127.0.0.1",
      guestUser: null,
      instances: new InstanceDirectories(join(agentHome, "instances")),
      log: (line) => log.push(line),
    }),
    log: (line) => log.push(line),
  });
});

after(async () => {
  agent.detach();
  for (const pid of qemuPids(agentHome)) process.kill(pid, "SIGKILL");
  await api.close();
  rmSync(agentHome, { recursive: true, force: true });
});

describe("an agent's view from before its last action is not acted on", { concurrency: false }, () => {
  test("first-boot timeout: a read from before the forced stop does not collect and boot again", async () => {
    const id = await launch("wmi-testwin");
    await agent.tick();
    await expectInstance(id, "initializing", null, 1);
    const timedOut = Date.now() + timeouts.firstBootMs + 10_000;
    await staleReadAcross(() => agent.tick({}, timedOut));
    const timeoutError = /first boot did not finish within 1800 s \(password_generation_timeout\)/;
    await expectInstance(id, "halted", timeoutError, 0);
    await laterPasses();
    await expectInstance(id, "halted", timeoutError, 0);
    assert.equal(actionsOn(id, "collect-password"), 0);
    const files = new InstanceDirectories(join(agentHome, "instances")).of(id);
    assert.equal((await files.marks()).firstBootPending, true, "the first boot was not collected");
  });

  let linux = "";
  for (const round of [1, 2, 3]) {
    test(`round ${round}: poweroff, poweron and reboot, each across a read from before it`, async () => {
      if (!linux) {
        linux = await launch("wmi-testlinux");
        await agent.tick();
      }
      await expectInstance(linux, "running", null, 1);

      // Poweroff: the late read still says running; the VM it finds gone is not "QEMU exited".
      await staleReadAcross(async () => {
        await request("PUT", `/instances/${linux}/poweroff.json`, { force: "true" });
        await agent.tick();
      });
      await expectInstance(linux, "halted", null, 0);
      await laterPasses();
      await expectInstance(linux, "halted", null, 0);

      // Poweron: the late read says halted with nothing asked; the VM it finds is not stopped.
      await staleReadAcross(async () => {
        await request("PUT", `/instances/${linux}/poweron.json`);
        await agent.tick();
      });
      await expectInstance(linux, "running", null, 1);
      const pid = qemuPids(join(agentHome, "instances", linux));
      await laterPasses();
      await expectInstance(linux, "running", null, 1);
      assert.deepEqual(qemuPids(join(agentHome, "instances", linux)), pid);

      // Reboot: the late read still asks for a reboot; the guest is reset once, not twice.
      const resets = actionsOn(linux, "reset");
      await request("PUT", `/instances/${linux}/reboot.json`);
      await staleReadAcross(() => agent.tick());
      await laterPasses();
      await expectInstance(linux, "running", null, 1);
      assert.equal(actionsOn(linux, "reset"), resets + 1, "one reset for one reboot");
      assert.deepEqual(qemuPids(join(agentHome, "instances", linux)), pid, "a reset keeps the process");
    });
  }

  test("terminate: a read from before it does not find 'the files gone' and halt the instance", async () => {
    await staleReadAcross(async () => {
      await request("DELETE", `/instances/${linux}.json`);
      await agent.tick();
    });
    await expectInstance(linux, "terminated", null, 0);
    await laterPasses();
    await expectInstance(linux, "terminated", null, 0);
    assert.equal(existsSync(join(agentHome, "instances", linux)), false);
  });
});

describe("dcmgr refuses a report made from an outdated view", { concurrency: false }, () => {
  test("a forced poweroff asked while the agent reboots the guest is not lost under the reboot's report", async () => {
    const id = await launch("wmi-testlinux");
    await agent.tick();
    await expectInstance(id, "running", null, 1);
    await request("PUT", `/instances/${id}/reboot.json`);
    const report = held.holdNextReport();
    const rebooting = agent.tick();
    await report.reached;
    await request("PUT", `/instances/${id}/poweroff.json`, { force: "true" });
    report.release();
    await rebooting;
    assert.ok(
      log.some((l) => l.startsWith(`${id}: changed since revision`)),
      `the agent was told its view was outdated:\n${log.join("\n")}`,
    );
    // The refused report wrote nothing: the user's request stands, and the next pass carries it out.
    assert.equal((await shown(id)).state, "halting");
    await laterPasses();
    await expectInstance(id, "halted", null, 0);
    const listed = (await held.hostState()).instances.find((w) => w.id === id);
    assert.equal(listed?.requested_action, null);
  });

  test("a stop of the agent's loop waits for a pass whose read is under way: nothing acts after it", async () => {
    const read = held.holdNextRead();
    const loop = startLoop(agent, held, (line) => log.push(line), { intervalMs: 50 });
    await read.reached;
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(stopped, false, "stop() waits for the pass in hand");
    read.release();
    await stopping;
    assert.equal(stopped, true);
  });
});
