// The wall between a user-mode guest and its host, decided without I/O.
//
// QEMU's own user-mode network hands a guest's connections to its gateway to
// the host's loopback, and any user-mode stack reaches the host's own
// addresses: dcmgr, other VMs' consoles, anything listening there. So a
// walled guest's network stack is passt, run as the guests' own unprivileged
// user (passt.ts starts it), with the gateway not mapped to the host; and
// one nftables table refuses every new connection that user's sockets open
// to this host (all of them leave by `lo`), while the answers to connections
// made to them (the forwarded ports) pass. The outside world stays reachable.
// The same table closes each forwarded port to all but the sources its
// security groups name.
// Where hva cannot do that (no passt, no guests' user, no privileges to
// switch user and write nftables), a guest gets QEMU's user-mode network
// with restrict=on: only its forwards reach it, and it reaches nothing.
import { createHash } from "node:crypto";
import { inNetwork, isIpv4Cidr, netmaskToPrefix, networkAddress } from "../../model/ipv4.js";
import { everyone, forwardSources, type OpenedPorts, type PortForward } from "../../model/port-forward.js";

/**
 * The nftables table of one agent's wall (family inet: IPv4 and IPv6),
 * named for its instances' directory: agents sharing a machine (the test
 * suite's clouds) keep their walls apart, and each takes down its own.
 */
export function guestWallTable(instancesDir: string): string {
  return `wakame_guest_wall_${createHash("sha256").update(instancesDir).digest("hex").slice(0, 8)}`;
}

/** The user guests' network stacks run as: numeric, as the kernel sees their sockets. */
export interface GuestUser {
  uid: number;
  gid: number;
}

/** A forwarded host port that its security groups open to some sources only (port-forward.ts forwardSources). */
export interface GuardedForward {
  protocol: "tcp" | "udp";
  host_port: number;
  /** IPv4 CIDRs; never 0.0.0.0/0 (such a forward needs no guard); none: closed to all. */
  sources: readonly string[];
}

export class WallInputError extends Error {}

/**
 * The wall as one `nft -f` text, the table replaced whole in one
 * transaction: the guests' user's connections to this host refused
 * (output), and each guarded forward's host port closed to all but its
 * sources (input), as the security groups say.
 */
export function guestWallRuleset(
  table: string,
  user: GuestUser,
  guarded: readonly GuardedForward[] = [],
): string {
  for (const g of guarded) {
    if (
      !["tcp", "udp"].includes(g.protocol) ||
      !Number.isInteger(g.host_port) ||
      g.host_port < 1 ||
      g.host_port > 65535
    )
      throw new WallInputError(`forward ${g.protocol} ${g.host_port} is not a TCP or UDP port`);
    for (const s of g.sources)
      if (!isIpv4Cidr(s)) throw new WallInputError(`source '${s}' is not an IPv4 CIDR`);
  }
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    "  chain output {",
    "    type filter hook output priority filter; policy accept;",
    `    meta skuid ${user.uid} ct state established,related accept`,
    `    meta skuid ${user.uid} oifname "lo" counter reject`,
    "  }",
    "  chain input {",
    "    type filter hook input priority filter; policy accept;",
    ...guarded.map(
      (g) =>
        `    ${g.protocol} dport ${g.host_port} ${g.sources.length ? `ip saddr != { ${g.sources.join(", ")} } ` : ""}counter drop`,
    ),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The forwards of an instance that its security groups open to some sources only, as guards. */
export function guardedForwards(
  rules: readonly OpenedPorts[],
  forwards: readonly PortForward[],
): GuardedForward[] {
  return forwards
    .map((f) => ({
      protocol: f.protocol,
      host_port: f.host_port,
      sources: forwardSources(rules, f.protocol, f.guest_port),
    }))
    .filter((g) => !g.sources.includes(everyone));
}

/** What one NIC's network is: the guest's address on it, its gateway and DNS server, the forwards to it. */
export interface GuestNic {
  /** The guest's address; QEMU's default 10.0.2.15 when the pool gave none. */
  guestAddress: string;
  netmask: string;
  gateway: string;
  dns: string | null;
  forwards: readonly PortForward[];
}

export const defaultGuestAddress = "10.0.2.15";
export const defaultGateway = "10.0.2.2";

/**
 * passt's command line for one NIC, its socket inherited at fd 3. IPv4 only,
 * as the product's networks and security groups are; the gateway is not the
 * host (--no-map-gw); no port is forwarded but the security groups'. A DNS
 * server inside the guest's own network (the demo network's 10.0.2.3, as
 * QEMU's user-mode network had it) is passt's, forwarding to the host's
 * resolver; one elsewhere is the guest's to reach.
 */
export function passtArgs(nic: GuestNic): string[] {
  const prefix = netmaskToPrefix(nic.netmask);
  const ownDns = nic.dns !== null && inNetwork(nic.dns, nic.guestAddress, prefix);
  const spec = (protocol: "tcp" | "udp") =>
    nic.forwards
      .filter((f) => f.protocol === protocol)
      .map((f) => `${f.host_address}/${f.host_port}:${f.guest_port}`);
  const ports = (flag: string, specs: string[]) =>
    specs.length === 0 ? [flag, "none"] : specs.flatMap((s) => [flag, s]);
  return [
    "--foreground",
    "--stderr",
    "--fd",
    "3",
    "--ipv4-only",
    "--no-map-gw",
    "--address",
    nic.guestAddress,
    "--netmask",
    String(prefix),
    "--gateway",
    nic.gateway,
    ...(nic.dns ? ["--dns", nic.dns] : []),
    ...(ownDns ? ["--dns-forward", nic.dns!] : []),
    ...ports("--tcp-ports", spec("tcp")),
    ...ports("--udp-ports", spec("udp")),
  ];
}

/** The NIC's network as QEMU's restricted user-mode network takes it. */
export function restrictedNetwork(nic: GuestNic): { cidr: string; gateway: string; dns: string | null } {
  const prefix = netmaskToPrefix(nic.netmask);
  return {
    cidr: `${networkAddress(nic.guestAddress, prefix)}/${prefix}`,
    gateway: nic.gateway,
    dns: nic.dns,
  };
}

/** Whether a /proc/net/route text has an IPv4 default route (destination and mask 0), which passt needs. */
export function hasDefaultRoute(procNetRoute: string): boolean {
  return procNetRoute
    .split("\n")
    .slice(1)
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === "00000000" && f[7] === "00000000";
    });
}

/** What keeps this host from walling guests in with passt, or null when nothing does. */
export function wallProblem(o: {
  passtInstalled: boolean;
  user: GuestUser | string;
  missingCapabilities: readonly string[];
  defaultRoute: boolean;
}): string | null {
  if (!o.passtInstalled) return "passt is not installed (apt-get install passt)";
  if (!o.defaultRoute)
    return "this host has no IPv4 default route, without which passt does not start: give it one";
  if (typeof o.user === "string") return o.user;
  if (o.missingCapabilities.length > 0)
    return `starting guests' networks as their own user and refusing their connections to this host needs ${o.missingCapabilities.join(", ")}: run hva as root or as wakame-vdc-hva.service`;
  if (o.user.uid === 0) return "the guests' user is root: give --guest-user an unprivileged user";
  return null;
}
