// Which vifs a firewall change lets in less than before: their tracked
// connections are forgotten when it is applied (apply.ts). Pure.
import type { FirewallRule, HostFirewall } from "./host-firewall.js";
import { ruleMatch } from "./rule-match.js";

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
