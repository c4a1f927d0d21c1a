// Which guest ports a host forwards to an instance when it has no address of
// its own on the host's network (QEMU user-mode networking): those its
// security groups open to TCP or UDP. Pure.

export interface PortForward {
  protocol: "tcp" | "udp";
  guest_port: number;
  host_address: string;
  host_port: number;
}

export interface OpenedPorts {
  protocol: string;
  from_port: number;
  to_port: number;
  /** Whom the rule opens the ports to: a CIDR, or the members of a group (then null). */
  source_cidr?: string | null;
}

/** Opened to every address. */
export const everyone = "0.0.0.0/0";

/**
 * Whom the rules open a guest port to, seen from a forwarded host port:
 * everyone, or the rules' CIDRs. A rule whose source is a group opens
 * nothing there (the group's members reach each other, not the host's ports).
 */
export function forwardSources(rules: readonly OpenedPorts[], protocol: string, port: number): string[] {
  const cidrs = rules
    .filter((r) => r.protocol === protocol && r.from_port <= port && port <= r.to_port && r.source_cidr)
    .map((r) => r.source_cidr!);
  return cidrs.includes(everyone) ? [everyone] : [...new Set(cidrs)];
}

/**
 * Guest ports one rule may forward at most: every forward takes a host port,
 * so a rule such as tcp:1,65535 forwards its first ports only.
 */
export const maxForwardsPerRule = 16;

/** The distinct (protocol, guest port) pairs the rules open, in rule order. */
export function forwardedPorts(
  rules: readonly OpenedPorts[],
): { protocol: "tcp" | "udp"; guest_port: number }[] {
  const ports: { protocol: "tcp" | "udp"; guest_port: number }[] = [];
  for (const r of rules) {
    if (r.protocol !== "tcp" && r.protocol !== "udp") continue;
    const last = Math.min(r.to_port, r.from_port + maxForwardsPerRule - 1);
    for (let port = r.from_port; port <= last; port++) {
      if (!ports.some((p) => p.protocol === r.protocol && p.guest_port === port))
        ports.push({ protocol: r.protocol, guest_port: port });
    }
  }
  return ports;
}
