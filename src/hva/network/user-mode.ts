// QEMU user-mode networking: the guest gets its leased address on a private
// network inside its QEMU, and reaches out through QEMU's NAT. Nothing needs
// root. Users reach the guest through host ports forwarded to the guest ports
// its security groups open.
import { netmaskToPrefix, networkAddress } from "../../model/ipv4.js";
import { forwardedPorts } from "../../model/port-forward.js";
import type { NicSpec } from "../../qemu/command.js";
import { freeHostPort } from "../../qemu/host-port.js";
import type { HostState, WantedInstance } from "../agent-api.js";
import type { InstanceNetwork, NetworkPlan } from "./instance-network.js";

/** Where QEMU's user-mode network puts the guest when the pool gave it no address. */
const defaultGuestAddress = "10.0.2.15";

export class UserModeNetwork implements InstanceNetwork {
  /** `forwardAddress`: where forwarded ports listen on the host (127.0.0.1, or 0.0.0.0 for everyone). */
  constructor(private readonly forwardAddress: string) {}

  /** Nothing on the host is shared: each QEMU holds its own network. */
  async sync(_state: HostState): Promise<void> {}
  async attach(): Promise<void> {}
  async detach(): Promise<void> {}

  async plan(w: WantedInstance): Promise<NetworkPlan> {
    const vifs = [];
    for (const _vif of w.vifs) {
      const port_forwards = [];
      for (const p of forwardedPorts(w.security_group_rules)) {
        port_forwards.push({
          ...p,
          host_address: this.forwardAddress,
          host_port: await freeHostPort(this.forwardAddress),
        });
      }
      vifs.push({ port_forwards });
    }
    return { kind: "user", vifs };
  }

  nics(w: WantedInstance, plan: NetworkPlan): NicSpec[] {
    return w.vifs.map((vif, i) => {
      const guestAddress = vif.ipv4_address ?? defaultGuestAddress;
      const prefix = netmaskToPrefix(vif.netmask);
      return {
        mac: vif.mac_address,
        model: w.image.features.virtio ? "virtio" : "e1000",
        backend: {
          kind: "user",
          network: {
            cidr: `${networkAddress(guestAddress, prefix)}/${prefix}`,
            gateway: vif.gateway ?? "10.0.2.2",
            dns: vif.dns,
          },
          guestAddress,
          forwards: plan.vifs[i]?.port_forwards ?? [],
        },
      };
    });
  }
}
