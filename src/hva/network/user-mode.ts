// User-mode networking: the guest gets its leased address on a private
// network of its own and reaches out through a NAT in user space; users
// reach it through host ports forwarded to the guest ports its security
// groups open, from the sources they name. Walled (guest-wall.ts): passt as
// the guests' user, with this host's nftables refusing that user's
// connections to the host and closing each forward to all but its sources;
// or, where hva cannot wall guests so, QEMU's own network restricted to the
// forwards open to everyone (a narrower one it cannot enforce is not made).
import type { Socket } from "node:net";
import type { HostState, WantedInstance } from "../../model/agent-contract.js";
import { everyone, forwardedPorts, forwardSources } from "../../model/port-forward.js";
import type { NicSpec } from "../../qemu/command.js";
import { freeHostPort } from "../../qemu/host-port.js";
import { applyRuleset } from "../firewall/apply.js";
import { removalRuleset } from "../firewall/host-firewall.js";
import type { InstanceDirectories } from "../instance-files.js";
import {
  defaultGateway,
  defaultGuestAddress,
  type GuardedForward,
  type GuestNic,
  type GuestUser,
  guardedForwards,
  guestWallRuleset,
  guestWallTable,
  passtArgs,
  restrictedNetwork,
} from "./guest-wall.js";
import type { InstanceNetwork, NetworkPlan } from "./instance-network.js";
import { startPasst } from "./passt.js";

export interface UserModeOptions {
  /** Where forwarded ports listen on the host (127.0.0.1, or 0.0.0.0 for everyone). */
  forwardAddress: string;
  /** The guests' user, when this host walls guests in with passt; null: QEMU's restricted network. */
  guestUser: GuestUser | null;
  /** Each instance's plan and passt logs are in its directory. */
  instances: InstanceDirectories;
  log: (line: string) => void;
}

/** The plans' kinds: passt behind the wall, or QEMU's network restricted to the forwards. */
const walled = "user-walled";
const restricted = "user";

export class UserModeNetwork implements InstanceNetwork {
  /** Each walled instance's guarded forwards, as last seen. */
  private guards = new Map<string, GuardedForward[]>();
  private inForce = "";
  /** Passes overlap; the wall is written by one at a time. */
  private writing: Promise<void> = Promise.resolve();

  private readonly table: string;

  constructor(private readonly o: UserModeOptions) {
    this.table = guestWallTable(o.instances.root);
  }

  /** The wall brought up to date with the instances here and their groups' rules now. */
  async sync(state: HostState): Promise<void> {
    if (!this.o.guestUser) return;
    const guards = new Map<string, GuardedForward[]>();
    for (const w of state.instances) {
      const plan = await this.o.instances.of(w.id).readPlan();
      if (plan?.kind === walled) guards.set(w.id, this.guardsOf(w, plan));
    }
    this.guards = guards;
    await this.writeWall();
  }

  private guardsOf(w: WantedInstance, plan: NetworkPlan): GuardedForward[] {
    return guardedForwards(
      w.security_group_rules,
      plan.vifs.flatMap((v) => v.port_forwards),
    );
  }

  /** The wall as the guards say, written when it changed (again after a failure). */
  private writeWall(): Promise<void> {
    const user = this.o.guestUser!;
    this.writing = this.writing
      .catch(() => {})
      .then(async () => {
        const text = guestWallRuleset(this.table, user, [...this.guards.values()].flat());
        if (text === this.inForce) return;
        await applyRuleset(text);
        this.inForce = text;
      });
    return this.writing;
  }

  async plan(w: WantedInstance): Promise<NetworkPlan> {
    const kind = this.o.guestUser ? walled : restricted;
    const vifs = [];
    for (const _vif of w.vifs) {
      const port_forwards = [];
      for (const p of forwardedPorts(w.security_group_rules)) {
        const sources = forwardSources(w.security_group_rules, p.protocol, p.guest_port);
        // Open to nobody from outside (its groups name other groups only): nothing to forward.
        if (sources.length === 0) continue;
        if (kind === restricted && !sources.includes(everyone)) {
          this.o.log(
            `${w.id}: ${p.protocol} ${p.guest_port} is open to ${sources.join(", ")} only, which QEMU's restricted network cannot enforce: not forwarded (wall guests in: docs/networking.md)`,
          );
          continue;
        }
        port_forwards.push({
          ...p,
          host_address: this.o.forwardAddress,
          host_port: await freeHostPort(this.o.forwardAddress),
        });
      }
      vifs.push({ port_forwards });
    }
    return { kind, vifs };
  }

  /** A walled plan's passt processes, one per NIC, started once the wall guards its forwards. */
  async attach(w: WantedInstance, plan: NetworkPlan): Promise<Socket[]> {
    if (plan.kind !== walled) return [];
    const user = this.o.guestUser;
    if (!user)
      throw new Error("its network was planned behind the guests' wall, which this hva cannot put up");
    this.guards.set(w.id, this.guardsOf(w, plan));
    await this.writeWall();
    const sockets: Socket[] = [];
    try {
      for (const [i, nic] of guestNics(w, plan).entries()) {
        const log = this.o.instances.of(w.id).passtLog(i);
        sockets.push(
          await startPasst(passtArgs(nic), user, log, (why) =>
            this.o.log(`${w.id}: the network of its NIC ${i} (passt) ended: ${why}`),
          ),
        );
      }
    } catch (err) {
      for (const s of sockets) s.destroy();
      throw err;
    }
    return sockets;
  }

  nics(w: WantedInstance, plan: NetworkPlan): NicSpec[] {
    return guestNics(w, plan).map((nic, i) => ({
      mac: w.vifs[i]!.mac_address,
      model: w.image.features.virtio ? "virtio" : "e1000",
      backend:
        plan.kind === walled
          ? { kind: "stream", fd: 3 + i }
          : {
              kind: "user",
              network: restrictedNetwork(nic),
              guestAddress: nic.guestAddress,
              forwards: nic.forwards,
            },
    }));
  }

  /** Nothing to undo: each passt ends with its QEMU, and the next pass drops its guards. */
  async detach(): Promise<void> {}

  /** The wall, once no guest is left behind it. */
  async takeDown(): Promise<void> {
    if (!this.o.guestUser) return;
    await this.writing.catch(() => {});
    await applyRuleset(removalRuleset([["inet", this.table]]));
    this.inForce = "";
    this.guards.clear();
  }
}

function guestNics(w: WantedInstance, plan: NetworkPlan): GuestNic[] {
  return w.vifs.map((vif, i) => ({
    guestAddress: vif.ipv4_address ?? defaultGuestAddress,
    netmask: vif.netmask,
    gateway: vif.gateway ?? defaultGateway,
    dns: vif.dns,
    forwards: plan.vifs[i]?.port_forwards ?? [],
  }));
}
