// The agent's loop against a real dcmgr, its VMs behind a fake driver
// (test/helpers/fake-vm-driver.ts): observe, decide, act and report for every
// power action, a guest's own power-off, a restarted agent, a VM that
// outlives its kill (a fault no real VM gives on demand), and a Windows first
// boot. Real image cache, disks and metadata drives; no QEMU. The real-VM
// tests (test/e2e/host-agent.test.ts, stale-views.test.ts) prove the QEMU driver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cutShortByRestart } from "../../src/dcmgr/move.js";
import { Agent, type AgentOptions } from "../../src/hva/agent.js";
import { AgentApi } from "../../src/hva/agent-api.js";
import { ImageCache } from "../../src/hva/image-cache.js";
import { InstanceDirectories } from "../../src/hva/instance-files.js";
import { UserModeNetwork } from "../../src/hva/network/user-mode.js";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { generateUuid } from "../../src/model/uuid.js";
import {
  addHostNode,
  blankBackupObject,
  launchInstance,
  startApi,
  type TestApi,
  userRequest,
} from "../helpers/api.js";
import { FakeVmDriver } from "../helpers/fake-vm-driver.js";
import { HeldAgentApi } from "../helpers/held-agent-api.js";
import { tempDir } from "../helpers/paths.js";
import { imageRow } from "../helpers/stores.js";

let api: TestApi;
let dcmgr: AgentApi;
let keyId = "";
const home = tempDir("agent-loop");
const dirs = new InstanceDirectories(join(home, "instances"));
const log: string[] = [];
const timeouts = { firstBootMs: 600_000, powerdownMs: 1000 };

function agentWith(vms: FakeVmDriver): Agent {
  return new Agent(agentOptions(vms));
}

function agentOptions(vms: FakeVmDriver): AgentOptions {
  return {
    api: dcmgr,
    instances: dirs,
    imageCache: new ImageCache(join(home, "image-cache"), (line) => log.push(line)),
    vms,
    host: { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: true },
    timeouts,
    network: new UserModeNetwork({
      forwardAddress: "127.0.0.1",
      guestUser: null,
      instances: dirs,
      log: (line) => log.push(line),
    }),
    log: (line) => log.push(line),
  };
}

const launch = (image: string) => launchInstance(api, image, keyId);

const request = (method: string, path: string, form: Record<string, string> = {}) =>
  userRequest(api, method, path, form);

async function expectShown(id: string, state: string, error: RegExp | null = null) {
  const i = (await api.req("GET", `/instances/${id}.json`)).body;
  assert.equal(i.state, state, `${id} is ${i.state} (${i.error}); the agent said:\n${log.join("\n")}`);
  if (error === null) assert.equal(i.error, null);
  else assert.match(i.error ?? "", error);
  return i;
}

before(async () => {
  api = await startApi("sqlite");
  // A tiny disk in the seeded local backup storage, as a Linux and a Windows image.
  await blankBackupObject(api, "bo-tiny", 1 << 20);
  await api.store.db
    .insertInto("images")
    .values([
      imageRow({ id: "wmi-tinylinux", backup_object_id: "bo-tiny", features: '{"virtio":true}' }),
      imageRow({ id: "wmi-tinywin", backup_object_id: "bo-tiny", os_type: "windows" }),
      imageRow({
        id: "wmi-tinysb",
        backup_object_id: "bo-tiny",
        features: '{"uefi":true,"secure_boot":true}',
      }),
      imageRow({ id: "wmi-tinytpm", backup_object_id: "bo-tiny", features: '{"tpm":true}' }),
    ])
    .execute();
  const keyFile = join(home, "key");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keyFile]);
  keyId = (
    await api.req("POST", "/ssh_key_pairs.json", {
      form: { public_key: readFileSync(`${keyFile}.pub`, "utf8") },
    })
  ).body.id;
  dcmgr = new AgentApi([api.origin], await api.token("host_node", "hn-demo1"));
  // As the agent does at its start: the scheduler places UEFI and TPM images only where they can run.
  await dcmgr.heartbeat({ kvm: false, uefi: true, secure_boot: true, tpm: true, cpu_model: "Nehalem" });
});

after(async () => {
  await api.close();
  rmSync(home, { recursive: true, force: true });
});

describe("the agent's loop, its VMs faked", { concurrency: false }, () => {
  const vms = new FakeVmDriver();
  let agent: Agent;
  let id = "";
  before(() => {
    agent = agentWith(vms);
  });

  test("a Linux instance is prepared, started as its image and size say, and reported running", async () => {
    id = await launch("wmi-tinylinux");
    await agent.tick();
    const shown = await expectShown(id, "running");
    const vm = vms.vms.get(id);
    assert.ok(vm, `no VM started: ${vms.calls.join(", ")}`);
    assert.equal(vm.cpuCores, shown.cpu_cores);
    assert.equal(vm.memoryMb, shown.memory_size);
    assert.equal(vm.windows, false);
    assert.equal(vm.cpuModel, "Nehalem", "the host's, its spec naming none");
    const files = dirs.of(id);
    assert.deepEqual(
      vm.disks.map((d) => [d.file, d.bus]),
      [
        [files.disk("raw"), "virtio"],
        [files.metadataDrive, "virtio"],
      ],
    );
    assert.equal(readFileSync(files.disk("raw")).length, 1 << 20, "the image's copy");
    assert.equal((await files.marks()).firstBootPending, false, "Linux has no first boot");
  });

  test("a guest that powers off wakes the loop, and its instance is reported halted with why", async () => {
    const napping = agent.nap(60_000);
    vms.exit(id);
    assert.equal(await napping, true, "the nap ended early");
    await agent.tick();
    await expectShown(id, "halted", /QEMU exited while the instance was running/);
  });

  test("poweron starts it again; poweroff asks the guest, and forces it once the grace is over", async () => {
    await request("PUT", `/instances/${id}/poweron.json`);
    await agent.tick();
    await expectShown(id, "running");
    assert.equal(vms.calls.filter((c) => c === `start ${id}`).length, 2);

    await request("PUT", `/instances/${id}/poweroff.json`);
    await agent.tick();
    assert.equal(vms.calls.at(-1), `powerdown ${id}`);
    await expectShown(id, "halting");
    assert.ok((agent.nextRecheck() ?? 0) > Date.now(), "the grace's end is when it is looked at again");
    await agent.tick({}, Date.now() + timeouts.powerdownMs + 1000);
    assert.equal(vms.calls.at(-1), `kill ${id}`);
    await expectShown(id, "halted");
  });

  test("reboot resets the guest once", async () => {
    await request("PUT", `/instances/${id}/poweron.json`);
    await agent.tick();
    await request("PUT", `/instances/${id}/reboot.json`);
    await agent.tick();
    await agent.tick();
    assert.equal(vms.calls.filter((c) => c === `reset ${id}`).length, 1);
    await expectShown(id, "running");
  });

  test("a VM whose QMP closes while the agent looks at it (its guest powering off) is not reported halted with that error", async () => {
    vms.endingUnderQuestion.add(id);
    try {
      await agent.tick();
    } finally {
      vms.endingUnderQuestion.delete(id);
    }
    const shownNow = (await api.req("GET", `/instances/${id}.json`)).body;
    assert.deepEqual([shownNow.state, shownNow.error], ["running", null], log.join("\n"));
  });

  test("a VM that outlives its kill is tried again a second later, not reported halted", async () => {
    vms.survivesKill.add(id);
    await request("PUT", `/instances/${id}/poweroff.json`, { force: "true" });
    await agent.tick();
    await expectShown(id, "halting");
    assert.ok(log.some((l) => l === `${id}: the VM still runs after being killed`));
    assert.ok((agent.nextRecheck() ?? Infinity) <= Date.now() + 1000);
    await agent.tick();
    await expectShown(id, "halted");
    assert.equal(vms.vms.has(id), false);
  });

  test("a restarted agent follows the VM it finds running instead of starting a twin; terminate removes it", async () => {
    await request("PUT", `/instances/${id}/poweron.json`);
    await agent.tick();
    const left = new FakeVmDriver();
    left.leftRunning(id, vms.vms.get(id)!);
    const restarted = agentWith(left);
    await restarted.tick();
    assert.deepEqual(left.calls, [`adopt ${id}`]);
    await expectShown(id, "running");

    await request("DELETE", `/instances/${id}.json`);
    await restarted.tick();
    assert.deepEqual(left.calls, [`adopt ${id}`, `kill ${id}`]);
    await expectShown(id, "terminated");
    assert.equal(existsSync(dirs.of(id).dir), false, "its files are gone");
  });

  test("a screenshot a user waits for is delivered; one dcmgr refuses is logged and taken again, the instance running on", async () => {
    const linux = await launch("wmi-tinylinux");
    await agent.tick();
    await expectShown(linux, "running");
    const ask = () =>
      fetch(`${api.origin}/api/12.03/instances/${linux}/screenshot.png`, {
        headers: { "X-VDC-Account-ID": "a-shpoolxx" },
      });
    const asked = ask();
    for (let n = 0; n < 100 && !vms.calls.includes(`screenshot ${linux}`); n++) await agent.tick();
    const answer = await asked;
    assert.equal(answer.status, 200);
    assert.deepEqual(Buffer.from(await answer.arrayBuffer()), vms.screen);

    const png = vms.screen;
    vms.screen = Buffer.from("GIF89a: not what QEMU's screendump writes");
    const retried = ask();
    const before = vms.calls.filter((c) => c === `screenshot ${linux}`).length;
    for (let n = 0; n < 100 && vms.calls.filter((c) => c === `screenshot ${linux}`).length === before; n++)
      await agent.tick();
    assert.ok(log.some((l) => l.startsWith(`${linux}: cannot deliver its screenshot:`)));
    await expectShown(linux, "running");
    // The user still waits: the next pass takes the screen again.
    vms.screen = png;
    await agent.tick();
    assert.equal((await retried).status, 200);
    await request("DELETE", `/instances/${linux}.json`);
    await agent.tick();
  });

  test("a directory dcmgr no longer lists is removed, its VM killed first", async () => {
    const stray = generateUuid("instance");
    await dirs.of(stray).create();
    vms.leftRunning(stray, {
      cpuCores: 1,
      memoryMb: 256,
      firmware: null,
      tpm: false,
      disks: [],
      nics: [],
      cpuModel: "Nehalem",
      windows: false,
    });
    await agent.tick();
    assert.ok(vms.calls.includes(`kill ${stray}`));
    assert.equal(existsSync(dirs.of(stray).dir), false);
    assert.ok(log.includes(`${stray}: removed, dcmgr no longer lists it`));
  });

  test("powering all off asks each guest, forces those that stay, and reports them halted (a first boot with why)", async () => {
    const linux = await launch("wmi-tinylinux");
    const win = await launch("wmi-tinywin");
    await agent.tick();
    await expectShown(win, "initializing");
    await agent.powerOffAll(300);
    for (const id of [linux, win]) {
      assert.ok(
        vms.calls.includes(`powerdown ${id}`) && vms.calls.includes(`kill ${id}`),
        vms.calls.join(", "),
      );
      assert.equal(vms.vms.has(id), false);
    }
    await expectShown(linux, "halted");
    await expectShown(win, "halted", /powered off during its first boot, so it has no password/);
  });

  test("an instance of a spec that names a CPU model runs on that model, not the host's", async () => {
    const stamp = new Date().toISOString();
    await api.store.db
      .insertInto("instance_specs")
      .values({
        name: "kvm.skylake",
        hypervisor: "kvm",
        arch: "x86_64",
        cpu_cores: 2,
        memory_size: 2048,
        cpu_model: "Skylake-Client-v4",
        description: null,
        created_at: stamp,
        updated_at: stamp,
      })
      .execute();
    const r = await api.req("POST", "/instances.json", {
      form: { image_id: "wmi-tinylinux", instance_spec_name: "kvm.skylake" },
    });
    assert.equal(r.status, 200, r.text);
    await agent.tick();
    assert.equal(vms.vms.get(r.body.id)?.cpuModel, "Skylake-Client-v4");
    assert.equal(vms.vms.get(r.body.id)?.cpuCores, 2);
    await request("DELETE", `/instances/${r.body.id}.json`);
    await agent.tick();
  });

  test("a Secure Boot image gets its own variable store from the template, and boots on it with OVMF's code", async () => {
    const sb = await launch("wmi-tinysb");
    await agent.tick();
    await expectShown(sb, "running");
    const files = dirs.of(sb);
    assert.deepEqual(vms.vms.get(sb)?.firmware, { code: debianOvmf.code, vars: files.efiVars });
    assert.deepEqual(readFileSync(files.efiVars), readFileSync(debianOvmf.secureBootVars));
    await request("DELETE", `/instances/${sb}.json`);
    await agent.tick();
  });

  test("a TPM image's VM has its TPM; one whose TPM ended is stopped and halted with why", async () => {
    const id = await launch("wmi-tinytpm");
    await agent.tick();
    await expectShown(id, "running");
    assert.equal(vms.vms.get(id)?.tpm, true);
    await agent.tick();
    await expectShown(id, "running");
    vms.tpmLost.add(id);
    await agent.tick();
    await expectShown(id, "halted", /its TPM \(swtpm\) ended while the VM ran/);
    assert.equal(vms.vms.has(id), false, "stopped");
    await request("DELETE", `/instances/${id}.json`);
    await agent.tick();
  });

  test("a host without OVMF, or without swtpm, halts the instance with what to install, and prepares nothing", async () => {
    const noOvmf = new Agent({
      ...agentOptions(new FakeVmDriver()),
      host: {
        cpuModel: "Nehalem",
        ovmf: { ...debianOvmf, code: join(home, "no-ovmf-code.fd") },
        swtpm: true,
      },
    });
    const sb = await launch("wmi-tinysb");
    await noOvmf.tick();
    await expectShown(
      sb,
      "halted",
      /its image boots on UEFI, and this host has no OVMF .*install Debian's ovmf/,
    );
    assert.equal((await dirs.of(sb).marks()).prepared, false);
    assert.equal(existsSync(dirs.of(sb).dir), false, "nothing made");
    await request("DELETE", `/instances/${sb}.json`);

    const noSwtpm = new Agent({
      ...agentOptions(new FakeVmDriver()),
      host: { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: false },
    });
    const tpm = await launch("wmi-tinytpm");
    await noSwtpm.tick();
    await expectShown(
      tpm,
      "halted",
      /its image has a TPM, and this host has no swtpm: install Debian's swtpm/,
    );
    assert.equal(existsSync(dirs.of(tpm).dir), false, "nothing made");
    await request("DELETE", `/instances/${tpm}.json`);
  });

  test("Windows: initializing during its first boot, then the password's fate collected and a second boot", async () => {
    const win = await launch("wmi-tinywin");
    await agent.tick();
    await expectShown(win, "initializing");
    assert.equal(vms.vms.get(win)?.windows, true);
    assert.equal((await dirs.of(win).marks()).firstBootPending, true);
    // The guest powers off at the end of its first boot; this fake guest wrote no pw.enc.
    vms.exit(win);
    await agent.tick();
    await expectShown(win, "running", /password not generated: the guest wrote no pw.enc/);
    assert.equal((await dirs.of(win).marks()).firstBootPending, false, "no later boot makes a password");
    assert.equal(vms.calls.filter((c) => c === `start ${win}`).length, 2);
  });
});

describe("a move between two hosts' agents, their VMs faked", { concurrency: false }, () => {
  const [vmsA, vmsB] = [new FakeVmDriver(), new FakeVmDriver()];
  const dirsB = new InstanceDirectories(join(home, "instances-b"));
  let agentA: Agent;
  let agentB: Agent;
  let apiB: HeldAgentApi;
  let optionsB: AgentOptions;
  before(async () => {
    await addHostNode(api.store, "hn-b", "hva.b");
    agentA = agentWith(vmsA);
    apiB = new HeldAgentApi([api.origin], await api.token("host_node", "hn-b"));
    await apiB.heartbeat({ kvm: false, uefi: true, secure_boot: true, tpm: true, cpu_model: "Nehalem" });
    optionsB = {
      ...agentOptions(vmsB),
      api: apiB,
      instances: dirsB,
      imageCache: new ImageCache(join(home, "image-cache-b"), (line) => log.push(line)),
      network: new UserModeNetwork({
        forwardAddress: "127.0.0.1",
        guestUser: null,
        instances: dirsB,
        log: (line) => log.push(line),
      }),
    };
    agentB = new Agent(optionsB);
  });
  const hostB = (enabled: boolean) =>
    api.store.db
      .updateTable("host_nodes")
      .set({ offering_cpu_cores: 8, offering_memory_size: 8192, scheduling_enabled: enabled ? 1 : 0 })
      .where("id", "=", "hn-b")
      .execute();
  /** A running instance on hn-demo1 (its RDP port forwarded), and a move of it asked (hn-b then the only other host). */
  async function movingFromA() {
    await hostB(false);
    const group = (
      await api.req("POST", "/security_groups.json", { form: { rule: "tcp:3389,3389,ip4:0.0.0.0" } })
    ).body.id as string;
    const launched = await api.req("POST", "/instances.json", {
      form: {
        image_id: "wmi-tinylinux",
        instance_spec_name: "kvm.small",
        ssh_key_id: keyId,
        security_groups: [group],
      },
    });
    assert.equal(launched.status, 200, launched.text);
    const id = launched.body.id as string;
    await agentA.tick();
    await expectShown(id, "running");
    await hostB(true);
    const asked = await api.req("PUT", `/instances/${id}/move.json`, { form: {} });
    assert.equal(asked.status, 200, asked.text);
    assert.equal(asked.body.destination_host_node_id, "hn-b");
    return { id, move: asked.body.move_id as string };
  }
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; !(await check()); i++) {
      assert.ok(i < 200, `${what}; the agents said:\n${log.join("\n")}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const shown = async (id: string) => (await api.req("GET", `/instances/${id}.json`)).body;

  test("the destination prepares and listens, the source sends, the guest arrives: placed on the destination, gone from the source", async () => {
    const { id, move } = await movingFromA();
    assert.equal((await shown(id)).status, "moving");
    await agentA.tick();
    assert.ok(!vmsA.calls.includes(`move-out ${id}`), "the source waits for the destination");
    await agentB.tick();
    assert.ok(vmsB.calls.includes(`start-incoming ${id}`), vmsB.calls.join(", "));
    assert.equal((await shown(id)).move.state, "ready");
    assert.equal((await dirsB.of(id).marks()).firstBootPending, false, "its first boot was the source's");

    await agentA.tick();
    await until("the source handed the guest over", async () => vmsA.handedOver.has(id));
    assert.equal((await shown(id)).move.state, "switching", "granted by dcmgr");
    // A pass of the destination reads its state while the move is under way, and acts after it is done.
    const read = apiB.holdNextRead();
    const stalePass = agentB.tick();
    await read.reached;
    vmsB.arrive(id);
    await until("the destination said done", async () => (await shown(id)).move.state === "done");
    read.release();
    await stalePass;
    assert.ok(vmsB.vms.has(id), `the stale pass left the guest running:\n${log.join("\n")}`);
    assert.ok(!log.some((l) => l.includes("fail-move")), log.join("\n"));
    const moved = await shown(id);
    assert.deepEqual([moved.host_node, moved.state, moved.status], ["hn-b", "running", "online"]);
    assert.equal(moved.move.move_id, move);
    // Its forwards are the destination's: its port there, as the destination's plan has it.
    const forwardsThere = (await dirsB.of(id).readPlan())!.vifs[0]!.port_forwards;
    assert.equal(forwardsThere.length, 1);
    assert.deepEqual(moved.vif[0].port_forwards, forwardsThere);

    await agentA.tick();
    assert.ok(vmsA.calls.includes(`kill ${id}`), "the source's paused VM ended");
    assert.equal(existsSync(dirs.of(id).dir), false, "and its files gone");
    await agentB.tick();
    assert.ok(vmsB.vms.has(id), "it runs on at the destination");
    assert.equal((await shown(id)).state, "running");
  });

  test("dcmgr restarted mid-copy fails the move: the source is refused the hand-over and its guest runs on; the destination removes what it made", async () => {
    const { id, move } = await movingFromA();
    await agentB.tick();
    const copies = vmsA.holdCopies();
    await agentA.tick();
    assert.ok(vmsA.calls.includes(`move-out ${id}`), "the copy is under way");
    await api.restart(async () => {});
    const cut = await shown(id);
    assert.deepEqual(
      [cut.host_node, cut.state, cut.status, cut.move.state, cut.move.error],
      ["hn-demo1", "running", "online", "failed", cutShortByRestart],
    );
    copies.release();
    await until("the source was refused the hand-over", async () =>
      log.some((l) => l.startsWith(`move ${move}: ended already, not failed`)),
    );
    assert.ok(!vmsA.handedOver.has(id), "its guest was never handed over");
    await agentA.tick();
    assert.ok(vmsA.vms.has(id), "it runs on at the source");
    await agentB.tick();
    assert.ok(!vmsB.vms.has(id), "the destination's VM ended");
    await until("the destination's files gone", async () => !existsSync(dirsB.of(id).dir));
  });

  test("the destination says done before the source has seen its migration complete: the source's VM and files stay until its send ends", async () => {
    const { id } = await movingFromA();
    const logFrom = log.length;
    await agentB.tick();
    const completion = vmsA.holdCompletions();
    await agentA.tick();
    await until("the source handed the guest over", async () => vmsA.handedOver.has(id));
    vmsB.arrive(id);
    await until("the destination said done", async () => (await shown(id)).move.state === "done");
    await agentA.tick();
    assert.ok(existsSync(dirs.of(id).dir) && vmsA.vms.has(id), "kept while the source still sends");
    assert.ok(!vmsA.calls.includes(`kill ${id}`));
    completion.release();
    await until("the source saw it handed over", async () =>
      log.some((l) => l.startsWith(`${id}: handed over to `)),
    );
    await agentA.tick();
    assert.equal(existsSync(dirs.of(id).dir), false, "then gone from the source");
    assert.ok(
      !log.slice(logFrom).some((l) => l.includes("ended already")),
      "and no failure said of a move that was done",
    );
  });

  test("dcmgr restarted once it granted the hand-over: the move goes on; the destination's done reaches dcmgr once it is back", async () => {
    const { id, move } = await movingFromA();
    await agentB.tick();
    await agentA.tick();
    await until("the source handed the guest over", async () => vmsA.handedOver.has(id));
    await api.restart(async () => {
      // The guest arrives while dcmgr is down: the destination's done finds no dcmgr, and is said again.
      vmsB.arrive(id);
      await until("the destination ran the guest", async () => log.includes(`${id}: moved here, running`));
    });
    await until("the destination's done reached dcmgr", async () => (await shown(id)).move.state === "done");
    const moved = await shown(id);
    assert.deepEqual([moved.host_node, moved.state, moved.move.move_id], ["hn-b", "running", move]);
    await agentA.tick();
    assert.equal(existsSync(dirs.of(id).dir), false, "gone from the source");
    assert.ok(vmsB.vms.has(id));
  });

  test("a halted instance moves cold: its files arrive whole, it is halted on the destination and powers on there; gone from the source", async () => {
    await hostB(false);
    const id = await launch("wmi-tinylinux");
    await agentA.tick();
    await request("PUT", `/instances/${id}/poweroff.json`, { force: "true" });
    await agentA.tick();
    await expectShown(id, "halted");
    await hostB(true);
    const asked = await api.req("PUT", `/instances/${id}/move.json`, { form: {} });
    assert.equal(asked.status, 200, asked.text);
    assert.equal(asked.body.kind, "cold");
    const metadata = readFileSync(dirs.of(id).metadataDrive);

    await agentB.tick();
    assert.equal((await shown(id)).move.state, "ready");
    assert.ok(!vmsB.calls.some((c) => c.includes(id)), "no VM at the destination");
    await agentA.tick();
    await until("the destination said done", async () => (await shown(id)).move.state === "done");
    const moved = await shown(id);
    assert.deepEqual([moved.host_node, moved.state], ["hn-b", "halted"]);
    assert.ok(readFileSync(dirsB.of(id).metadataDrive).equals(metadata), "its metadata drive came");
    assert.equal(existsSync(dirsB.of(id).moveStaging), false);

    await agentA.tick();
    assert.equal(existsSync(dirs.of(id).dir), false, "its files gone from the source");
    await request("PUT", `/instances/${id}/poweron.json`);
    await agentB.tick();
    assert.ok(vmsB.vms.has(id), "powered on at the destination");
    assert.equal((await shown(id)).state, "running");
  });

  test("a move that fails at the source leaves the guest there and nothing at the destination", async () => {
    const { id } = await movingFromA();
    await agentB.tick();
    vmsA.moveOutFailure = new Error("the link broke");
    await agentA.tick();
    await until("the source said it failed", async () => (await shown(id)).move.state === "failed");
    vmsA.moveOutFailure = null;
    const after = await shown(id);
    assert.deepEqual([after.host_node, after.state, after.status], ["hn-demo1", "running", "online"]);
    assert.match(after.move.error, /at the source: the link broke/);
    await agentB.tick();
    assert.ok(!vmsB.vms.has(id), "the destination's VM ended");
    await until("the destination's files gone", async () => !existsSync(dirsB.of(id).dir));
    await agentA.tick();
    assert.ok(vmsA.vms.has(id), "the guest runs on at the source");
  });

  test("a destination agent restarted mid-move fails it; a source handed over takes its guest back", async () => {
    const { id, move } = await movingFromA();
    await agentB.tick();
    await agentA.tick();
    await until("the source handed the guest over", async () => vmsA.handedOver.has(id));
    // The destination's agent restarts: the new one holds no move, and finds its VM running.
    const vmsB2 = new FakeVmDriver();
    vmsB2.leftRunning(id, vmsB.vms.get(id)!);
    const restartedB = new Agent({ ...optionsB, vms: vmsB2 });
    await restartedB.tick();
    await until("the destination failed it", async () => (await shown(id)).move.state === "failed");
    assert.match((await shown(id)).move.error, /the destination's host agent stopped during the move/);
    assert.equal(existsSync(dirsB.of(id).dir), false);
    await agentA.tick();
    assert.ok(vmsA.calls.includes(`take-back ${id}`), vmsA.calls.join(", "));
    assert.equal(vmsA.handedOver.has(id), false);
    assert.equal((await shown(id)).host_node, "hn-demo1");
    // The stopped agent's own wait (its process would have died with it) ends with its VM, and says nothing more.
    await vmsB.kill(dirsB.of(id));
    await until("the stopped agent's last word refused", async () =>
      log.includes(`move ${move}: ended already, not failed as this side would have said`),
    );
  });
});
