// Bridged networking: each vif is a tap on its network's bridge, so guests
// sit on a real segment shared by the hosts through the network's uplink,
// get their leased address by DHCP (dnsmasq, static entries only) as well as
// from the metadata drive, and are reached at that address, as far as their
// security groups let them: the host's nftables ruleset (ruleset.ts) is
// brought up to date on every pass, in one transaction, and a VM starts only
// once its vif is in the ruleset in force. Needs root (or CAP_NET_ADMIN).
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";
import type { HostState, WantedInstance } from "../../model/agent-contract.js";
import type { NicSpec } from "../../qemu/command.js";
import { applyRuleset, forgetConnections } from "../firewall/apply.js";
import { bridgedTables, type HostFirewall, removalRuleset } from "../firewall/host-firewall.js";
import { narrowedAddresses } from "../firewall/narrowed.js";
import { renderRuleset } from "../firewall/ruleset.js";
import {
  type BridgeOptions,
  type BridgePlan,
  bridgeName,
  hostFirewall,
  planBridges,
  tapName,
} from "./bridge-plan.js";
import { ensureDhcpServer, stopDhcpServer, stopDhcpServers } from "./dhcp-server.js";
import { attachUplink, ensureBridge, ensureTap, removeLink, setAddresses } from "./host-links.js";
import type { InstanceNetwork, NetworkPlan } from "./instance-network.js";

export interface BridgedOptions extends BridgeOptions {
  /** Where each network's DHCP server keeps its files ($WAKAME_HOME/networks). */
  dir: string;
  log: (line: string) => void;
}

export class BridgedNetwork implements InstanceNetwork {
  /** What the links were last made from: unchanged, they are not made again. */
  private linksFrom = "";
  private ruleset = "";
  private firewall: HostFirewall | null = null;
  /** The vifs in the ruleset in force. */
  private guarded = new Set<string>();
  private failing = "";
  /** The bridges (with their uplinks) and taps of the last state: what takeDown removes. */
  private made: { plans: BridgePlan[]; taps: Set<string> } = { plans: [], taps: new Set() };
  /** Passes overlap; the host's links and ruleset are made by one at a time. */
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly o: BridgedOptions) {}

  sync(state: HostState): Promise<void> {
    this.syncing = this.syncing.then(() =>
      this.syncNow(state).then(
        () => {
          if (this.failing) this.o.log("network: the host's bridges and firewall are in force again");
          this.failing = "";
        },
        (err: Error) => {
          // Logged, not thrown: the instances' steps go on, and attach refuses a vif left unguarded.
          if (err.message !== this.failing) this.o.log(`network: ${err.message}`);
          this.failing = err.message;
          this.linksFrom = "";
        },
      ),
    );
    return this.syncing;
  }

  private async syncNow(state: HostState): Promise<void> {
    const plans = planBridges(state, this.o);
    this.made.plans = plans;
    for (const w of state.instances) for (const v of w.vifs) this.made.taps.add(tapName(v.id));
    const links = JSON.stringify(plans.map(({ dhcpHosts: _h, ...links }) => links));
    if (links !== this.linksFrom) {
      for (const p of plans) await this.makeLinks(p);
      if (this.o.gateway) await enableForwarding();
      this.linksFrom = links;
    }
    await this.syncDhcp(plans);
    const firewall = hostFirewall(state, plans, this.o);
    const text = renderRuleset(firewall);
    if (text !== this.ruleset) {
      await applyRuleset(text);
      const narrowed = this.firewall ? narrowedAddresses(this.firewall, firewall) : [];
      this.ruleset = text;
      this.firewall = firewall;
      this.guarded = new Set(firewall.vifs.map((v) => v.id));
      await forgetConnections(narrowed);
    }
  }

  private async makeLinks(p: BridgePlan): Promise<void> {
    await ensureBridge(p.bridge);
    await setAddresses(p.bridge, p.addresses);
    if (p.uplink) await attachUplink(p.bridge, p.uplink);
  }

  /** A DHCP server per network with DHCP; those of networks no longer here are stopped. */
  private async syncDhcp(plans: readonly BridgePlan[]): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    for (const p of plans) await ensureDhcpServer(join(this.o.dir, p.network.id), p);
    const wanted = new Set(plans.map((p) => p.network.id));
    for (const id of await readdir(this.o.dir))
      if (!wanted.has(id)) await stopDhcpServer(join(this.o.dir, id));
  }

  async plan(w: WantedInstance): Promise<NetworkPlan> {
    return { kind: "bridge", vifs: w.vifs.map((v) => ({ port_forwards: [], tap: tapName(v.id) })) };
  }

  async attach(w: WantedInstance, _plan: NetworkPlan): Promise<Socket[]> {
    for (const v of w.vifs) {
      if (!this.guarded.has(v.id))
        throw new Error(
          `its vif ${v.id} is not behind this host's firewall yet${this.failing ? ` (${this.failing})` : ""}`,
        );
      await ensureTap(tapName(v.id), bridgeName(v.network_id));
    }
    return [];
  }

  nics(w: WantedInstance, plan: NetworkPlan): NicSpec[] {
    return w.vifs.map((v, i) => ({
      mac: v.mac_address,
      model: w.image.features.virtio ? "virtio" : "e1000",
      backend: { kind: "tap", ifname: plan.vifs[i]?.tap ?? tapName(v.id) },
    }));
  }

  async detach(plan: NetworkPlan): Promise<void> {
    for (const v of plan.vifs) if (v.tap) await removeLink(v.tap);
  }

  async takeDown(): Promise<void> {
    await this.syncing;
    for (const tap of this.made.taps) await removeLink(tap);
    for (const p of this.made.plans) {
      if (p.uplink && p.uplink.kind !== "device") await removeLink(p.uplink.name);
      // Its addresses and their routes go with it.
      await removeLink(p.bridge);
    }
    await stopDhcpServers(this.o.dir);
    await applyRuleset(removalRuleset(bridgedTables));
    this.made = { plans: [], taps: new Set() };
    this.linksFrom = "";
    this.ruleset = "";
  }
}

const ipForward = "/proc/sys/net/ipv4/ip_forward";

/** A gateway routes its networks to the uplink; hva as a service's user can check that, not turn it on. */
async function enableForwarding(): Promise<void> {
  if ((await readFile(ipForward, "utf8")).trim() === "1") return;
  await writeFile(ipForward, "1").catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EACCES"
      ? new Error(
          "this gateway host needs IPv4 forwarding, which hva cannot turn on as its service's user: run 'sysctl -w net.ipv4.ip_forward=1' and keep it in /etc/sysctl.d/",
        )
      : err;
  });
}
