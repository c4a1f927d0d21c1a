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

import { uuidBody } from "../../model/uuid.js";
import { checkHostFirewall, filterTable, guardTable, type HostFirewall, natTable } from "./host-firewall.js";
import { ruleMatch, setName } from "./rule-match.js";

export function renderRuleset(h: HostFirewall): string {
  checkHostFirewall(h);
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
  for (const v of vifs) line(2, `iifname "${v.tap}" jump from_${uuidBody(v.id)}`);
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
    line(1, `chain from_${uuidBody(v.id)} {`);
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
  for (const v of vifs) line(2, `ip daddr ${v.ipv4} jump to_${uuidBody(v.id)}`);
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
  for (const v of vifs) line(2, `ip daddr ${v.ipv4} jump to_${uuidBody(v.id)}`);
  line(1, "}");
  for (const v of vifs) {
    line(1, `chain to_${uuidBody(v.id)} {`);
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
