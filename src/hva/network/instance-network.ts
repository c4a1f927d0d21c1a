// How an instance is wired to the network, behind one interface: the agent
// asks for a plan when it prepares the instance (kept in the instance's
// directory, so a restarted agent reuses it), for QEMU's NICs when it starts
// it, and for the forwards users see. User-mode networking is the one today;
// bridged networking with nftables will be a second implementation.
import type { PortForward } from "../../model/port-forward.js";
import type { NicSpec } from "../../qemu/command.js";
import type { WantedInstance } from "../agent-api.js";

/** What a network decided for one instance; JSON, stored with the instance. */
export type NetworkPlan = { kind: string; vifs: { port_forwards: PortForward[] }[] };

export interface InstanceNetwork {
  plan(w: WantedInstance): Promise<NetworkPlan>;
  nics(w: WantedInstance, plan: NetworkPlan): NicSpec[];
}
