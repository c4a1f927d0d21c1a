// What a host's firewall is made of (bridge-plan.ts decides it from the
// host's state): its vifs, their groups with rules and members, its bridges,
// uplinks and masqueraded networks; our tables' names; and the check that
// every value is what it says before any of it becomes nft text.
import { ipv4Problem, isIpv4Cidr } from "../../model/ipv4.js";
import { uuidProblem } from "../../model/uuid.js";

export interface FirewallRule {
  protocol: "tcp" | "udp" | "icmp";
  /** Ports for tcp/udp; ICMP type and code for icmp (-1: any). */
  from_port: number;
  to_port: number;
  source_cidr: string | null;
  source_group_id: string | null;
}

export interface FirewallGroup {
  id: string;
  rules: readonly FirewallRule[];
  /** Its members' addresses now, on every host. */
  members: readonly string[];
}

export interface FirewallVif {
  /** The vif's uuid: its chains are named from it. */
  id: string;
  /** The host interface the vif's frames enter the bridge by. */
  tap: string;
  mac: string;
  ipv4: string;
  groups: readonly string[];
}

export interface HostFirewall {
  vifs: readonly FirewallVif[];
  /**
   * The guests' bridges: what comes in by them for this host itself (its
   * addresses, whichever) is dropped but for DHCP requests and the answers
   * to the host's own connections. A guest reaches no service of its host.
   */
  bridges?: readonly string[];
  /** The vifs' groups and every group their rules name as a source. */
  groups: readonly FirewallGroup[];
  /**
   * Addresses every host of a segment holds for itself (its DHCP server's),
   * kept off the uplinks that join the hosts: each guest reaches its own host's.
   */
  hostLocal?: { uplinks: readonly string[]; addresses: readonly string[] };
  /** Networks this host masquerades out (their gateway, with nat): all but traffic within the network. */
  masquerade?: readonly string[];
}

export const guardTable = "wakame_guard";
export const filterTable = "wakame_filter";
export const natTable = "wakame_nat";

/** Our tables deleted, in one `nft -f` (each declared first, so that a table not there is no error). */
export function removalRuleset(tables: readonly (readonly [family: string, name: string])[]): string {
  return tables.map(([family, name]) => `table ${family} ${name}\ndelete table ${family} ${name}\n`).join("");
}

/** The tables a bridged host holds. */
export const bridgedTables = [
  ["bridge", guardTable],
  ["inet", filterTable],
  ["ip", natTable],
] as const;

/** Input that cannot be rendered safely (it would be nft syntax of its own, or mean something else). */
export class FirewallInputError extends Error {}

const interfaceName = /^[A-Za-z0-9_.-]{1,15}$/;

const firewallProtocols: readonly string[] = ["tcp", "udp", "icmp"] satisfies FirewallRule["protocol"][];

/** Refuses what cannot be rendered safely; every string reaches nft text only after it. */
export function checkHostFirewall(h: HostFirewall): void {
  const bad = (what: string) => {
    throw new FirewallInputError(what);
  };
  const groups = new Set(h.groups.map((g) => g.id));
  for (const g of h.groups) {
    if (uuidProblem("securityGroup", g.id)) bad(`group ${g.id}: ${uuidProblem("securityGroup", g.id)}`);
    for (const m of g.members) if (ipv4Problem(m)) bad(`group ${g.id}: member address ${m} is not IPv4`);
    for (const r of g.rules) {
      if (!firewallProtocols.includes(r.protocol))
        bad(`group ${g.id}: protocol '${r.protocol}' is not one of ${firewallProtocols.join(", ")}`);
      if (r.source_group_id !== null && !groups.has(r.source_group_id))
        bad(`group ${g.id}: its rule names ${r.source_group_id}, which is not given`);
      if (r.source_cidr !== null && !isIpv4Cidr(r.source_cidr))
        bad(`group ${g.id}: source ${r.source_cidr} is not an IPv4 CIDR`);
      const range = r.protocol === "icmp" ? [-1, 255] : [1, 65535];
      for (const n of [r.from_port, r.to_port])
        if (!Number.isInteger(n) || n < range[0]! || n > range[1]!)
          bad(`group ${g.id}: ${r.protocol} ${n} is out of range`);
    }
  }
  for (const c of h.masquerade ?? []) if (!isIpv4Cidr(c)) bad(`masquerade: '${c}' is not an IPv4 CIDR`);
  for (const a of h.hostLocal?.addresses ?? []) if (ipv4Problem(a)) bad(`host-local address '${a}'`);
  for (const u of h.hostLocal?.uplinks ?? []) if (!interfaceName.test(u)) bad(`uplink interface name '${u}'`);
  for (const b of h.bridges ?? []) if (!interfaceName.test(b)) bad(`bridge name '${b}'`);
  for (const v of h.vifs) {
    if (uuidProblem("vif", v.id)) bad(`vif ${v.id}: ${uuidProblem("vif", v.id)}`);
    if (!interfaceName.test(v.tap)) bad(`vif ${v.id}: interface name '${v.tap}'`);
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(v.mac)) bad(`vif ${v.id}: MAC '${v.mac}'`);
    if (ipv4Problem(v.ipv4)) bad(`vif ${v.id}: address '${v.ipv4}'`);
    for (const g of v.groups) if (!groups.has(g)) bad(`vif ${v.id}: its group ${g} is not given`);
  }
}
