// The host agents' long-poll against the 1-second poll it replaced, in the
// same run (issue 12), with dcmgr as its own process on PostgreSQL and three
// real agent loops in this process (no VMs boot: the bench image has no
// file, so each instance halts at once and the hosts go idle):
// - requests per second to dcmgr from 3 idle hosts;
// - a security group rule changed through the API -> the new ruleset in
//   force in the kernel on all 3 hosts (each host's ruleset rendered by
//   ruleset.ts and applied by apply.ts into a network namespace of its own),
//   p50/p95 over 20 changes.
// Run as root: npm run bench:wakeups [-- --idle-seconds 30]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { Agent } from "../src/hva/agent.js";
import { AgentApi, type StateRead } from "../src/hva/agent-api.js";
import { applyRuleset } from "../src/hva/firewall/apply.js";
import { renderRuleset } from "../src/hva/firewall/ruleset.js";
import { ImageCache } from "../src/hva/image-cache.js";
import { InstanceDirectories } from "../src/hva/instance-files.js";
import { type AgentLoop, startLoop } from "../src/hva/loop.js";
import { hostFirewall } from "../src/hva/network/bridge-plan.js";
import type { InstanceNetwork } from "../src/hva/network/instance-network.js";
import { debianOvmf } from "../src/hva/vm/firmware.js";
import { QemuDriver } from "../src/hva/vm/qemu-driver.js";
import type { HostState } from "../src/model/agent-contract.js";
import { freshStore } from "../test/helpers/stores.js";
import { benchHeaders, registerBenchCloud, root, startDcmgr } from "./bench-cloud.js";

const idleSeconds = Number(process.argv[process.argv.indexOf("--idle-seconds") + 1]) || 30;
const changes = 20;
if (process.getuid?.() !== 0)
  throw new Error("run as root: each host's ruleset is applied in a network namespace");
process.env.WAKAME_TEST_PG_URL ||= execFileSync("bash", [join(root, "test/postgres.sh")])
  .toString()
  .trim();

/** The agent's API client, counting its calls. */
class CountedApi extends AgentApi {
  calls = 0;
  override hostState(read: StateRead = {}): Promise<HostState> {
    this.calls++;
    return super.hostState(read);
  }
  override heartbeat() {
    this.calls++;
    return super.heartbeat();
  }
}

/** Only the firewall of a bridged host: its ruleset rendered and applied in the host's namespace, each time it changes. */
class FirewallOnly implements InstanceNetwork {
  private text = "";
  applied: { at: number; text: string }[] = [];
  constructor(private readonly netns: string) {}
  async sync(state: HostState): Promise<void> {
    const text = renderRuleset(hostFirewall(state, [], { uplinkDevice: null, gateway: false }));
    if (text === this.text) return;
    await applyRuleset(text, { netns: this.netns });
    this.text = text;
    this.applied.push({ at: performance.now(), text });
  }
  async plan() {
    return { kind: "bench", vifs: [] };
  }
  async attach() {
    return [];
  }
  nics() {
    return [];
  }
  async detach() {}
  async takeDown() {}
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const t = await freshStore("postgres");
const env = t.env;
registerBenchCloud(env);
const vdc = (...args: string[]) =>
  execFileSync(process.execPath, [join(root, "bin/vdc-manage.js"), ...args], { env, encoding: "utf8" });
const hosts = ["hn-bench", "hn-bench2", "hn-bench3"];
vdc("host", "add", "hva.bench2", "--uuid=hn-bench2", "--cpu-cores=100", "--memory-size=100000", "--force");
vdc("host", "add", "hva.bench3", "--uuid=hn-bench3", "--cpu-cores=100", "--memory-size=100000", "--force");
const namespaces = hosts.map((_, i) => `wkb-${i + 1}`);
const removeNamespaces = () => {
  for (const ns of namespaces) if (existsSync(`/run/netns/${ns}`)) execFileSync("ip", ["netns", "del", ns]);
};
removeNamespaces();
const dcmgr = await startDcmgr(env);
const origin = dcmgr.base.replace(/\/api\/12\.03$/, "");
const call = async (method: string, path: string, body: Record<string, string | string[]>) => {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(body))
    for (const x of Array.isArray(v) ? v : [v]) form.append(Array.isArray(v) ? `${k}[]` : k, x);
  const r = await fetch(`${dcmgr.base}${path}`, { method, headers: benchHeaders, body: form.toString() });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as { id: string };
};

const rdp = "tcp:3389,3389,ip4:0.0.0.0";
const wider = `${rdp}\ntcp:5985,5985,ip4:10.0.0.0/8`;
try {
  for (const ns of namespaces) execFileSync("ip", ["netns", "add", ns]);
  const keyFile = join(t.home, "key");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keyFile]);
  const key = await call("POST", "/ssh_key_pairs.json", {
    public_key: readFileSync(`${keyFile}.pub`, "utf8"),
  });
  const group = await call("POST", "/security_groups.json", { rule: rdp });
  for (const host of hosts)
    await call("POST", "/instances.json", {
      image_id: "wmi-bench",
      instance_spec_name: "kvm.small",
      ssh_key_id: key.id,
      security_groups: [group.id],
      host_node_id: host,
    });

  const modes: [string, number][] = [
    ["long-poll (wait=30)", 30],
    ["1-second poll", 0],
  ];
  const results: { mode: string; perSecond: number; p50: number; p95: number; max: number }[] = [];
  for (const [mode, longPollS] of modes) {
    const running: { api: CountedApi; network: FirewallOnly; loop: AgentLoop }[] = [];
    for (const [i, host] of hosts.entries()) {
      const token = vdc("token", "add", `--host-node-id=${host}`).trim();
      const api = new CountedApi([origin], token);
      const network = new FirewallOnly(namespaces[i]!);
      const home = join(t.home, `agent-${i}-${longPollS}`);
      mkdirSync(home, { recursive: true });
      const agent = new Agent({
        api,
        instances: new InstanceDirectories(join(home, "instances")),
        imageCache: new ImageCache(join(home, "image-cache"), () => {}),
        vms: new QemuDriver("tcg", () => {}),
        host: { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: true },
        timeouts: { firstBootMs: 600_000, powerdownMs: 60_000 },
        network,
        log: () => {},
      });
      running.push({ api, network, loop: startLoop(agent, api, () => {}, { longPollS }) });
    }
    // The instances halt (no image file), then nothing changes.
    await new Promise((r) => setTimeout(r, 5000));
    for (const r of running) r.api.calls = 0;
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const perSecond = running.reduce((n, r) => n + r.api.calls, 0) / idleSeconds;

    const took: number[] = [];
    for (let c = 0; c < changes; c++) {
      const rule = c % 2 === 0 ? wider : rdp;
      const began = performance.now();
      await call("PUT", `/security_groups/${group.id}.json`, { rule });
      const inForce = () =>
        running.every((r) => {
          const last = r.network.applied.at(-1);
          return (
            last !== undefined && last.at > began && last.text.includes("dport 5985") === (rule === wider)
          );
        });
      while (!inForce()) await new Promise((r) => setTimeout(r, 2));
      took.push(Math.max(...running.map((r) => r.network.applied.at(-1)!.at)) - began);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
    }
    for (const r of running) await r.loop.stop();
    results.push({
      mode,
      perSecond,
      p50: percentile(took, 50),
      p95: percentile(took, 95),
      max: Math.max(...took),
    });
  }

  console.log(
    `3 idle hosts, ${idleSeconds} s each; ${changes} rule changes; dcmgr on PostgreSQL; ${cpus().length} cores`,
  );
  console.log(
    "mode                  agent requests/s   rule change -> in force on all 3 hosts: p50   p95   max (ms)",
  );
  for (const r of results)
    console.log(
      `${r.mode.padEnd(22)}${r.perSecond.toFixed(2).padStart(16)}   ${r.p50.toFixed(0).padStart(40)} ${r.p95.toFixed(0).padStart(5)} ${r.max.toFixed(0).padStart(5)}`,
    );
  const [lp, poll] = results;
  console.log(
    `long-poll: ${(poll!.perSecond / lp!.perSecond).toFixed(1)}x fewer requests, p95 ${(poll!.p95 / lp!.p95).toFixed(1)}x sooner`,
  );
} finally {
  dcmgr.stop();
  removeNamespaces();
  await t.dispose();
}
