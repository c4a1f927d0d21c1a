// The agent trusts dcmgr's answers only as far as it must: an instance id
// that is no instance uuid never becomes a path under WAKAME_HOME. A dcmgr
// that says such a thing cannot be made for real (its ids are checked when
// made), so this one is a fake: FakeTakenOverDcmgr.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { Agent } from "../../src/hva/agent.js";
import type { AgentApi } from "../../src/hva/agent-api.js";
import { ImageCache } from "../../src/hva/image-cache.js";
import { InstanceDirectories } from "../../src/hva/instance-files.js";
import { UserModeNetwork } from "../../src/hva/network/user-mode.js";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { QemuDriver } from "../../src/hva/vm/qemu-driver.js";
import type { HostState, WantedInstance } from "../../src/model/agent-contract.js";
import { tempDir } from "../helpers/paths.js";

const home = tempDir("hostile-state");
after(() => rmSync(home, { recursive: true, force: true }));

/** The real user-mode network, noting the instances each pass hands it (a walled one makes paths of their ids). */
class NotedNetwork extends UserModeNetwork {
  readonly synced: string[] = [];
  override sync(state: HostState): Promise<void> {
    this.synced.push(...state.instances.map((i) => i.id));
    return super.sync(state);
  }
}

/** A dcmgr taken over by an attacker (faked): it lists instances whose ids are paths. */
class FakeTakenOverDcmgr {
  reports: unknown[] = [];
  constructor(private readonly ids: string[]) {}
  async hostState(): Promise<HostState> {
    return {
      revision: "1",
      instances: this.ids.map((id) => ({ id, state: "pending" }) as unknown as WantedInstance),
      networks: [],
      security_groups: [],
    };
  }
  async report(...args: unknown[]) {
    this.reports.push(args);
  }
}

test("instance ids that are paths are ignored and logged, and make no directory or report", async () => {
  const instances = join(home, "instances");
  mkdirSync(instances, { recursive: true });
  // A stray file in the instances' folder is no instance either: it is left alone, not "removed".
  writeFileSync(join(instances, "notes.txt"), "the operator's");
  const hostile = ["../../escaped", "i-../../escaped", "/tmp/escaped", "i-ok/../../escaped"];
  const dcmgr = new FakeTakenOverDcmgr(hostile);
  const log: string[] = [];
  const network = new NotedNetwork({
    forwardAddress: "127.0.0.1",
    guestUser: null,
    instances: new InstanceDirectories(instances),
    log: (line) => log.push(line),
  });
  const agent = new Agent({
    api: dcmgr as unknown as AgentApi,
    instances: new InstanceDirectories(instances),
    imageCache: new ImageCache(join(home, "image-cache"), (line) => log.push(line)),
    vms: new QemuDriver("tcg", (line) => log.push(line)),
    host: { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: true },
    timeouts: { firstBootMs: 1000, powerdownMs: 1000 },
    network,
    log: (line) => log.push(line),
  });
  await agent.tick();
  assert.deepEqual(network.synced, [], "no id that is no uuid reaches the network");
  for (const id of hostile)
    assert.ok(
      log.some((l) => l.includes(`ignoring an instance dcmgr lists: its id ${JSON.stringify(id)} must`)),
      `${id}: ${log.join("\n")}`,
    );
  assert.deepEqual(readdirSync(instances), ["notes.txt"]);
  assert.ok(!existsSync(join(home, "escaped")) && !existsSync("/tmp/escaped"));
  assert.deepEqual(dcmgr.reports, []);
});
