// A host's firewall as nftables text, decided without I/O: what the host's
// vifs are and what their security groups allow in, rendered as two tables
// of our own that one `nft -f` replaces atomically (apply.ts runs it).
//
// - `bridge wakame_guard`, stateless: every frame a guest sends is checked
//   at the bridge port it enters by (its tap): Ethernet source its MAC,
//   ARP sender its MAC and address, IPv4 source its address (0.0.0.0 only
//   for a DHCP request), no DHCP server replies, nothing but ARP and IPv4.
// - `inet wakame_filter`, stateful (this kernel has no bridge conntrack, so
//   bridged IPv4 comes here through br_netfilter, which apply.ts turns on
//   for our bridges only): traffic to a vif's address is dropped unless it
//   answers the guest's own connections, comes from a member of one of the
//   vif's groups, or a rule of one of them lets it in (tcp/udp port ranges,
//   ICMP type and code, from a CIDR or from a group's members, as a set).
//   The host's own traffic to a vif's address (output) is held to the same
//   chain, but for its DHCP server's answers.
//   Anti-spoofing above is what makes a vif's address stand for its tap.
//
// - `bridge wakame_guard` also keeps each host's own DHCP server address off
//   the uplinks (every host of a segment answers from the same one).
// - `inet wakame_filter` also keeps the guests off the host itself: what
//   comes in by their bridges for any of the host's addresses is dropped but
//   for DHCP requests and the answers to the host's own connections.
// - `ip wakame_nat` masquerades the networks this host is the gateway of.
//
// Everything else on the host (other tables, other traffic) is left alone:
// every base chain accepts what is not ours.
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

const body = (id: string) => id.slice(id.indexOf("-") + 1);
const setName = (groupId: string) => `sg_${body(groupId)}`;

const interfaceName = /^[A-Za-z0-9_.-]{1,15}$/;

const firewallProtocols: readonly string[] = ["tcp", "udp", "icmp"] satisfies FirewallRule["protocol"][];

function check(h: HostFirewall): void {
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

/** One rule as an nft match; `group` writes a group source (a set's name, or its members spelt out). */
function ruleMatch(r: FirewallRule, group: (id: string) => string = (id) => `@${setName(id)}`): string {
  const source =
    r.source_group_id !== null
      ? `ip saddr ${group(r.source_group_id)} `
      : r.source_cidr === null || r.source_cidr === "0.0.0.0/0"
        ? ""
        : `ip saddr ${r.source_cidr} `;
  if (r.protocol === "icmp") {
    const type = r.from_port === -1 ? "ip protocol icmp" : `icmp type ${r.from_port}`;
    const code = r.from_port !== -1 && r.to_port !== -1 ? ` icmp code ${r.to_port}` : "";
    return `${source}${type}${code} accept`;
  }
  const ports = r.from_port === r.to_port ? `${r.from_port}` : `${r.from_port}-${r.to_port}`;
  return `${source}${r.protocol} dport ${ports} accept`;
}

export function renderRuleset(h: HostFirewall): string {
  check(h);
  const vifs = [...h.vifs].sort((a, b) => a.id.localeCompare(b.id));
  const groups = new Map(h.groups.map((g) => [g.id, g]));
  const out: string[] = [];
  const line = (depth: number, text: string) => out.push(`${"  ".repeat(depth)}${text}`);

  // Declared then deleted: the script replaces our tables whether they exist or not, in one transaction.
  for (const t of [`bridge ${guardTable}`, `inet ${filterTable}`, `ip ${natTable}`])
    out.push(`table ${t}`, `delete table ${t}`);

  const local = h.hostLocal?.uplinks.length && h.hostLocal.addresses.length ? h.hostLocal : null;
  const uplinks =
    local &&
    `{ ${[...local.uplinks]
      .sort()
      .map((u) => `"${u}"`)
      .join(", ")} }`;
  const addresses = local && `{ ${[...new Set(local.addresses)].sort().join(", ")} }`;
  line(0, `table bridge ${guardTable} {`);
  line(1, "chain prerouting {");
  line(2, "type filter hook prerouting priority -300; policy accept;");
  if (local) {
    line(2, `iifname ${uplinks} arp daddr ip ${addresses} drop`);
    line(2, `iifname ${uplinks} ip daddr ${addresses} drop`);
  }
  for (const v of vifs) line(2, `iifname "${v.tap}" jump from_${body(v.id)}`);
  line(1, "}");
  if (local) {
    // Guests' ARP for the address flood the bridge; the host's own answers and DHCP replies come from it.
    line(1, "chain forward {");
    line(2, "type filter hook forward priority -300; policy accept;");
    line(2, `oifname ${uplinks} arp daddr ip ${addresses} drop`);
    line(1, "}");
    line(1, "chain output {");
    line(2, "type filter hook output priority -300; policy accept;");
    line(2, `oifname ${uplinks} arp saddr ip ${addresses} drop`);
    line(2, `oifname ${uplinks} ip saddr ${addresses} drop`);
    line(1, "}");
  }
  for (const v of vifs) {
    line(1, `chain from_${body(v.id)} {`);
    line(2, `ether saddr != ${v.mac} drop`);
    line(2, `arp saddr ether != ${v.mac} drop`);
    line(2, `arp saddr ip != ${v.ipv4} drop`);
    line(2, "ether type arp accept");
    line(2, "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept");
    line(2, `ip saddr != ${v.ipv4} drop`);
    line(2, "udp sport 67 drop");
    line(2, "ether type ip accept");
    line(2, "drop");
    line(1, "}");
  }
  line(0, "}");

  line(0, `table inet ${filterTable} {`);
  for (const g of [...groups.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const members = [...new Set(g.members)].sort();
    line(1, `set ${setName(g.id)} {`);
    line(2, "type ipv4_addr;");
    if (members.length) line(2, `elements = { ${members.join(", ")} }`);
    line(1, "}");
  }
  line(1, "chain forward {");
  line(2, "type filter hook forward priority 0; policy accept;");
  for (const v of vifs) line(2, `ip daddr ${v.ipv4} jump to_${body(v.id)}`);
  line(1, "}");
  const bridges = [...new Set(h.bridges ?? [])].sort();
  if (bridges.length) {
    const by = `iifname { ${bridges.map((b) => `"${b}"`).join(", ")} }`;
    line(1, "chain input {");
    line(2, "type filter hook input priority 0; policy accept;");
    line(2, `${by} ct state established,related accept`);
    line(2, `${by} udp sport 68 udp dport 67 accept`);
    line(2, `${by} drop`);
    line(1, "}");
  }
  // The host's own connections to a guest (a client on the gateway host) are held to the same rules;
  // its DHCP server's answers are not.
  line(1, "chain output {");
  line(2, "type filter hook output priority 0; policy accept;");
  if (vifs.length) line(2, "udp sport 67 udp dport 68 accept");
  for (const v of vifs) line(2, `ip daddr ${v.ipv4} jump to_${body(v.id)}`);
  line(1, "}");
  for (const v of vifs) {
    line(1, `chain to_${body(v.id)} {`);
    line(2, "ct state established,related accept");
    line(2, "ct state invalid drop");
    const own = [...new Set(v.groups)].sort();
    for (const g of own) line(2, `ip saddr @${setName(g)} accept`);
    const matches = new Set(own.flatMap((g) => groups.get(g)!.rules.map((r) => ruleMatch(r))));
    for (const m of matches) line(2, m);
    line(2, "drop");
    line(1, "}");
  }
  line(0, "}");

  const masquerade = [...new Set(h.masquerade ?? [])].sort();
  if (masquerade.length) {
    line(0, `table ip ${natTable} {`);
    line(1, "chain postrouting {");
    line(2, "type nat hook postrouting priority srcnat; policy accept;");
    for (const c of masquerade) line(2, `ip saddr ${c} ip daddr != ${c} masquerade`);
    line(1, "}");
    line(0, "}");
  }
  return `${out.join("\n")}\n`;
}

/** What may come in to each vif, one entry per source address of a group: two states compare by it. */
function allowances(h: HostFirewall): Map<string, Set<string>> {
  const groups = new Map(h.groups.map((g) => [g.id, g]));
  const members = (id: string) => [...new Set(groups.get(id)?.members ?? [])];
  const entries = (r: FirewallRule) =>
    r.source_group_id === null
      ? [ruleMatch(r)]
      : members(r.source_group_id).map((m) => ruleMatch(r, () => m));
  return new Map(
    h.vifs.map((v) => [
      v.ipv4,
      new Set(
        v.groups.flatMap((g) => [
          ...members(g).map((m) => `ip saddr ${m} accept`),
          ...(groups.get(g)?.rules ?? []).flatMap(entries),
        ]),
      ),
    ]),
  );
}

/**
 * The addresses of the vifs that `after` lets in less than `before` did: a
 * rule gone, or a source group that lost a member. Their connections are
 * forgotten (apply.ts), so that one the new rules no longer allow ends; one
 * they still allow is taken up again by conntrack on its next packet.
 */
export function narrowedAddresses(before: HostFirewall, after: HostFirewall): string[] {
  const was = allowances(before);
  const now = allowances(after);
  return [...was]
    .filter(([address, allowed]) => {
      const still = now.get(address);
      return still !== undefined && [...allowed].some((a) => !still.has(a));
    })
    .map(([address]) => address)
    .sort();
}
