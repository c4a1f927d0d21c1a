// One security group rule as an nft match, and the names our chains and sets
// take from ids. Pure.
import { uuidBody } from "../../model/uuid.js";
import type { FirewallRule } from "./host-firewall.js";

export const setName = (groupId: string) => `sg_${uuidBody(groupId)}`;

/** One rule as an nft match; `group` writes a group source (a set's name, or its members spelt out). */
export function ruleMatch(
  r: FirewallRule,
  group: (id: string) => string = (id) => `@${setName(id)}`,
): string {
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
