// How instances are wired to the network, behind one interface: each pass
// hands it the host's whole state first (for what the host shares: bridges,
// DHCP, the firewall); the agent asks for a plan when it prepares an
// instance (kept in the instance's directory, so a restarted agent reuses
// it), has its host side made before QEMU starts, asks for QEMU's NICs, and
// has the host side undone once the instance is gone. User-mode networking
// (user-mode.ts) walls guests off from the host; bridged networking
// (bridged.ts) needs root or the capabilities of capabilities.ts.
import type { Socket } from "node:net";
import type { HostState, WantedInstance } from "../../model/agent-contract.js";
import type { PortForward } from "../../model/port-forward.js";
import type { NicSpec } from "../../qemu/command.js";

/** What a network decided for one instance; JSON, stored with the instance (instance-files.ts). */
export type NetworkPlan = { kind: string; vifs: { port_forwards: PortForward[]; tap?: string }[] };

export interface InstanceNetwork {
  /** Brings what the host shares up to date with `state`; every pass, before the instances' own steps. */
  sync(state: HostState): Promise<void>;
  plan(w: WantedInstance): Promise<NetworkPlan>;
  /**
   * Makes the host side of the instance's NICs, before its QEMU starts;
   * returns the sockets QEMU inherits, as fds 3, 4, ... (its NICs name them).
   */
  attach(w: WantedInstance, plan: NetworkPlan): Promise<Socket[]>;
  nics(w: WantedInstance, plan: NetworkPlan): NicSpec[];
  /** Undoes `attach`, once the instance's QEMU has ended for good. */
  detach(plan: NetworkPlan): Promise<void>;
  /**
   * Takes down everything it made on the host (links, DHCP servers, nftables
   * tables), once no VM of this host runs: for a demo that ends (`wakame up`);
   * an hva that stops leaves it all for the next one.
   */
  takeDown(): Promise<void>;
}
