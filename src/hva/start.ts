// Starting a host agent: check that dcmgr knows this host and the token is its
// own, choose the accelerator, and run the loop. `hva` and `wakame up` both
// start theirs here.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cpuModelProblem, defaultCpuModel } from "../model/cpu-model.js";
import { type AcceleratorSetting, hostAccelerator } from "../qemu/accelerator.js";
import { keepPrivate } from "../store/private-home.js";
import { probeGuest } from "../testguest/build.js";
import { Agent } from "./agent.js";
import { AgentApi } from "./agent-api.js";
import { missingForWall } from "./capabilities.js";
import { ImageCache } from "./image-cache.js";
import { InstanceDirectories } from "./instance-files.js";
import { type AgentLoop, startLoop } from "./loop.js";
import { BridgedNetwork } from "./network/bridged.js";
import { type GuestUser, hasDefaultRoute, wallProblem } from "./network/guest-wall.js";
import { passtInstalled, resolveGuestUser } from "./network/passt.js";
import { UserModeNetwork } from "./network/user-mode.js";
import { debianOvmf } from "./vm/firmware.js";
import { hostCapabilities, swtpmInstalled } from "./vm/host-hardware.js";
import { QemuDriver } from "./vm/qemu-driver.js";
import { enrollSecureBootKeys, type SecureBootCertificates } from "./vm/secure-boot-keys.js";

export interface HostAgentOptions {
  nodeId: string;
  /** dcmgr's root URLs, http://127.0.0.1:9001: the agent fails over between them in order. */
  dcmgr: readonly string[];
  /** The host node's token (vdc-manage token add --host-node-id ...). */
  token: string;
  /** Certificates to trust for https:// dcmgr URLs, besides Node's own (--ca-file). */
  ca?: readonly string[];
  /** $WAKAME_HOME: instance files and the image cache go under it. */
  home: string;
  accelerator: AcceleratorSetting;
  /** Certificates to enroll in Secure Boot instances' stores; Debian's Microsoft 2011 store when absent. */
  secureBoot?: SecureBootCertificates;
  /** The CPU model of instances whose spec names none; the accelerator's default (model/cpu-model.ts) when absent. */
  cpuModel?: string;
  /** Hosts entries for every instance's metadata drive (meta-data/extra-hosts/): name to IPv4 address. */
  extraHosts?: Readonly<Record<string, string>>;
  network:
    | { kind: "user"; forwardAddress: string; guestUser: string }
    | { kind: "bridge"; uplinkDevice: string | null; gateway: boolean };
  firstBootTimeoutMs: number;
  powerdownTimeoutMs: number;
  log: (line: string) => void;
}

export interface HostAgent {
  readonly agent: Agent;
  readonly hostNodeId: string;
  readonly accel: "kvm" | "tcg";
  /** Ends the loop; the VMs keep running for the next agent to adopt. */
  stop(): Promise<void>;
}

export class AgentStartError extends Error {}

export async function startHostAgent(o: HostAgentOptions): Promise<HostAgent> {
  keepPrivate(o.home);
  const api = new AgentApi(
    o.dcmgr,
    o.token,
    (from, to) => o.log(`dcmgr at ${from} does not answer: using ${to}`),
    o.ca,
  );
  const me = await api.heartbeat().catch((err: Error) => {
    throw new AgentStartError(`dcmgr at ${o.dcmgr.join(", ")} refused or did not answer: ${err.message}`);
  });
  if (me.node_id !== o.nodeId) {
    throw new AgentStartError(
      `the token is for host node ${me.host_node_id} (node id ${me.node_id}), not for node id ${o.nodeId}: use that host's token or --node-id ${me.node_id}`,
    );
  }
  const { accel, why } = await hostAccelerator(
    o.accelerator,
    join(o.home, "kvm-probe.json"),
    probeGuest(o.log),
  ).catch((err: Error) => {
    throw new AgentStartError(err.message);
  });
  const cpuModel = o.cpuModel ?? defaultCpuModel(accel);
  const cpuProblem = cpuModelProblem(cpuModel, accel);
  if (cpuProblem) throw new AgentStartError(`--cpu-model: ${cpuProblem}`);
  o.log(`host node ${me.host_node_id} (${o.nodeId}); VMs run on ${accel}: ${why}; their CPU: ${cpuModel}`);
  const instances = new InstanceDirectories(join(o.home, "instances"));
  const ovmf = o.secureBoot
    ? await enrollSecureBootKeys(debianOvmf, o.secureBoot, join(o.home, "secure-boot")).catch(
        (err: Error) => {
          throw new AgentStartError(err.message);
        },
      )
    : debianOvmf;
  o.log(`Secure Boot instances start from ${ovmf.secureBootVars}`);
  const host = { cpuModel, ovmf, swtpm: swtpmInstalled() };
  const agent = new Agent({
    api,
    instances,
    imageCache: new ImageCache(join(o.home, "image-cache"), o.log),
    vms: new QemuDriver(accel, o.log),
    host,
    timeouts: { firstBootMs: o.firstBootTimeoutMs, powerdownMs: o.powerdownTimeoutMs },
    extraHosts: o.extraHosts ?? {},
    network:
      o.network.kind === "user"
        ? await userModeNetwork(o.network, instances, o.log)
        : new BridgedNetwork({ ...o.network, dir: join(o.home, "networks"), log: o.log }),
    log: o.log,
  });
  // Before the first pass: the scheduler knows what this host can run as soon as it serves.
  const capabilities = hostCapabilities(host, accel);
  await api
    .heartbeat(capabilities)
    .catch((err: Error) => o.log(`cannot report this host's capabilities: ${err.message}`));
  const loop: AgentLoop = startLoop(agent, api, o.log, { capabilities });
  return { agent, hostNodeId: me.host_node_id, accel, stop: () => loop.stop() };
}

/** User-mode networking, walled in with passt where this host can, else restricted to the forwards. */
async function userModeNetwork(
  o: { forwardAddress: string; guestUser: string },
  instances: InstanceDirectories,
  log: (line: string) => void,
): Promise<UserModeNetwork> {
  const user = await resolveGuestUser(o.guestUser);
  const problem = wallProblem({
    passtInstalled: passtInstalled(),
    user,
    missingCapabilities: missingForWall(),
    defaultRoute: hasDefaultRoute(await readFile("/proc/net/route", "utf8").catch(() => "")),
  });
  if (problem)
    log(
      `user-mode guests are restricted: they reach nothing, only their forwarded ports reach them (to give them the outside world: ${problem})`,
    );
  else log(`user-mode guests are walled off from this host: their network runs as ${o.guestUser}`);
  return new UserModeNetwork({
    forwardAddress: o.forwardAddress,
    guestUser: problem ? null : (user as GuestUser),
    instances,
    log,
  });
}
