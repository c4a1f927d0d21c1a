// User-mode networking: the guest gets its leased address on a private
// network of its own and reaches out through a NAT in user space; users
// reach it through host ports forwarded to the guest ports its security
// groups open. Walled (guest-wall.ts): passt as the guests' user, with this
// host's nftables refusing that user's connections to the host; or, where
// hva cannot wall guests so, QEMU's own network restricted to the forwards.
import type { Socket } from "node:net";
import { join } from "node:path";
import { forwardedPorts } from "../../model/port-forward.js";
import type { NicSpec } from "../../qemu/command.js";
import { freeHostPort } from "../../qemu/host-port.js";
import type { HostState, WantedInstance } from "../agent-api.js";
import { applyRuleset } from "../firewall/apply.js";
import {
  defaultGateway,
  defaultGuestAddress,
  type GuestNic,
  type GuestUser,
  guestWallRuleset,
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
  /** $WAKAME_HOME/instances: each NIC's passt logs into its instance's directory. */
  instancesDir: string;
}

/** The plans' kinds: passt behind the wall, or QEMU's network restricted to the forwards. */
const walled = "user-walled";
const restricted = "user";

export class UserModeNetwork implements InstanceNetwork {
  private wall: Promise<void> | null = null;

  constructor(private readonly o: UserModeOptions) {}

  sync(_state: HostState): Promise<void> {
    return this.ensureWall();
  }

  /** The wall, put in force once (again after a failure): an agent restarted finds it as it left it. */
  private ensureWall(): Promise<void> {
    const user = this.o.guestUser;
    if (!user) return Promise.resolve();
    this.wall ??= applyRuleset(guestWallRuleset(user)).catch((err: Error) => {
      this.wall = null;
      throw err;
    });
    return this.wall;
  }

  async plan(w: WantedInstance): Promise<NetworkPlan> {
    const vifs = [];
    for (const _vif of w.vifs) {
      const port_forwards = [];
      for (const p of forwardedPorts(w.security_group_rules)) {
        port_forwards.push({
          ...p,
          host_address: this.o.forwardAddress,
          host_port: await freeHostPort(this.o.forwardAddress),
        });
      }
      vifs.push({ port_forwards });
    }
    return { kind: this.o.guestUser ? walled : restricted, vifs };
  }

  /** A walled plan's passt processes, one per NIC, started after the wall is in force. */
  async attach(w: WantedInstance, plan: NetworkPlan): Promise<Socket[]> {
    if (plan.kind !== walled) return [];
    const user = this.o.guestUser;
    if (!user)
      throw new Error("its network was planned behind the guests' wall, which this hva cannot put up");
    await this.ensureWall();
    const sockets: Socket[] = [];
    try {
      for (const [i, nic] of guestNics(w, plan).entries()) {
        const log = join(this.o.instancesDir, w.id, `passt-${i}.log`);
        sockets.push(await startPasst(passtArgs(nic), user, log));
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

  /** Nothing to undo: each passt ends with its QEMU. */
  async detach(): Promise<void> {}
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
