// Security group rules: one a line, `PROTO:FROM,TO,SOURCE`, `#` starts a
// comment (api.md, "Security group rules"). Pure.
import { ipv4Problem, networkAddress } from "./ipv4.js";
import { uuidProblem } from "./uuid.js";

export interface SecurityGroupRule {
  /** 1-based line in the rule text, for messages. */
  line: number;
  protocol: "tcp" | "udp" | "icmp";
  /** Ports for tcp/udp; ICMP type and code for icmp (-1: any). */
  from_port: number;
  to_port: number;
  /** CIDR the traffic may come from, or null when the source is a group. */
  source_cidr: string | null;
  source_group_id: string | null;
}

export class RuleError extends Error {}

/** Each line's rule or what is wrong with it, in the words the API answers (the web GUI's editor shows them as one types). */
export function checkRuleLines(
  text: string,
): ({ line: number; rule: SecurityGroupRule } | { line: number; problem: string })[] {
  const out: ({ line: number; rule: SecurityGroupRule } | { line: number; problem: string })[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    try {
      out.push({ line: i + 1, rule: { line: i + 1, ...parseRule(line) } });
    } catch (err) {
      out.push({ line: i + 1, problem: `rule line ${i + 1} '${line}': ${(err as Error).message}` });
    }
  });
  return out;
}

export function parseRules(text: string): SecurityGroupRule[] {
  return checkRuleLines(text).map((r) => {
    if ("problem" in r) throw new RuleError(r.problem);
    return r.rule;
  });
}

function parseRule(line: string): Omit<SecurityGroupRule, "line"> {
  const m = /^([a-z0-9]+):\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*(\S+)$/i.exec(line);
  if (!m) throw new Error("write PROTO:FROM,TO,SOURCE, e.g. tcp:3389,3389,ip4:0.0.0.0");
  const protocol = m[1]!.toLowerCase();
  if (protocol !== "tcp" && protocol !== "udp" && protocol !== "icmp") {
    throw new Error(`unknown protocol '${m[1]}': use tcp, udp or icmp`);
  }
  const from = Number(m[2]);
  const to = Number(m[3]);
  if (protocol === "icmp") {
    for (const n of [from, to]) {
      if (n < -1 || n > 255) throw new Error(`ICMP type and code are -1 (any) or 0 to 255, not ${n}`);
    }
  } else {
    for (const n of [from, to]) {
      if (n < 1 || n > 65535) throw new Error(`ports are 1 to 65535, not ${n}`);
    }
    if (from > to) throw new Error(`the first port (${from}) is above the last (${to})`);
  }
  return { protocol, from_port: from, to_port: to, ...parseSource(m[4]!) };
}

function parseSource(source: string): { source_cidr: string | null; source_group_id: string | null } {
  if (source.startsWith("sg-")) {
    const problem = uuidProblem("securityGroup", source);
    if (problem) throw new Error(`source ${source} ${problem}`);
    return { source_cidr: null, source_group_id: source };
  }
  const m = /^ip4:([\d.]+)(?:\/(\d{1,2}))?$/.exec(source);
  if (!m)
    throw new Error(`unknown source '${source}': use ip4:ADDRESS[/PREFIX] or a security group uuid (sg-...)`);
  const address = m[1]!;
  if (ipv4Problem(address)) throw new Error(`'${address}' is not an IPv4 address`);
  // ip4:0.0.0.0 alone means anywhere, as /0 does.
  const prefix = m[2] === undefined ? (address === "0.0.0.0" ? 0 : 32) : Number(m[2]);
  if (prefix > 32) throw new Error(`prefix /${prefix} is above 32`);
  return { source_cidr: `${networkAddress(address, prefix)}/${prefix}`, source_group_id: null };
}

/** Whether any rule lets `protocol` traffic to `port` in from everywhere a host forward can be reached from. */
export function allowsPort(
  rules: readonly SecurityGroupRule[],
  protocol: "tcp" | "udp",
  port: number,
): boolean {
  return rules.some((r) => r.protocol === protocol && r.from_port <= port && port <= r.to_port);
}
