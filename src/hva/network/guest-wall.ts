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
// Where hva cannot do that (no passt, no guests' user, no privileges to
// switch user and write nftables), a guest gets QEMU's user-mode network
// with restrict=on: only its forwards reach it, and it reaches nothing.
import { netmaskToPrefix, networkAddress } from "../../model/ipv4.js";
import type { PortForward } from "../../model/port-forward.js";

/** The nftables table of the wall (family inet: IPv4 and IPv6). */
export const guestWallTable = "wakame_guest_wall";

/** The user guests' network stacks run as: numeric, as the kernel sees their sockets. */
export interface GuestUser {
  uid: number;
  gid: number;
}

/** The wall as one `nft -f` text: the table replaced whole, in one transaction. */
export function guestWallRuleset(user: GuestUser): string {
  return [
    `table inet ${guestWallTable}`,
    `delete table inet ${guestWallTable}`,
    `table inet ${guestWallTable} {`,
    "  chain output {",
    "    type filter hook output priority filter; policy accept;",
    `    meta skuid ${user.uid} ct state established,related accept`,
    `    meta skuid ${user.uid} oifname "lo" counter reject`,
    "  }",
    "}",
    "",
  ].join("\n");
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
 * host (--no-map-gw); no port is forwarded but the security groups'.
 */
export function passtArgs(nic: GuestNic): string[] {
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
    String(netmaskToPrefix(nic.netmask)),
    "--gateway",
    nic.gateway,
    ...(nic.dns ? ["--dns", nic.dns] : []),
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

/** What keeps this host from walling guests in with passt, or null when nothing does. */
export function wallProblem(o: {
  passtInstalled: boolean;
  user: GuestUser | string;
  missingCapabilities: readonly string[];
}): string | null {
  if (!o.passtInstalled) return "passt is not installed (apt-get install passt)";
  if (typeof o.user === "string") return o.user;
  if (o.missingCapabilities.length > 0)
    return `starting guests' networks as their own user and refusing their connections to this host needs ${o.missingCapabilities.join(", ")}: run hva as root or as wakame-vdc-hva.service`;
  if (o.user.uid === 0) return "the guests' user is root: give --guest-user an unprivileged user";
  return null;
}
