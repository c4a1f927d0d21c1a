// Whether this process may do what bridged networking does (bridges, taps,
// nftables, conntrack, dnsmasq's DHCP), and what walling user-mode guests in
// does (passt as the guests' user, nftables): root, or the service's user
// with the capabilities wakame-vdc-hva.service grants (docs/install.md says why each).
import { readFileSync } from "node:fs";

/** The capabilities bridged networking needs, by name and bit (linux/capability.h). */
export const bridgedCapabilities = { CAP_NET_BIND_SERVICE: 10, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13 } as const;

/** The capabilities the user-mode guests' wall needs (guest-wall.ts). */
export const wallCapabilities = { CAP_SETGID: 6, CAP_SETUID: 7, CAP_NET_ADMIN: 12 } as const;

/** The names of `wanted` that the `CapEff:` line of a /proc/PID/status text lacks. Pure. */
export function missingCapabilities(status: string, wanted: Readonly<Record<string, number>>): string[] {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const effective = hex ? BigInt(`0x${hex}`) : 0n;
  return Object.entries(wanted)
    .filter(([, bit]) => (effective & (1n << BigInt(bit))) === 0n)
    .map(([name]) => name);
}

/** What this process lacks for bridged networking. */
export const missingForBridged = () =>
  missingCapabilities(readFileSync("/proc/self/status", "utf8"), bridgedCapabilities);

/** What this process lacks for walling user-mode guests in. */
export const missingForWall = () =>
  missingCapabilities(readFileSync("/proc/self/status", "utf8"), wallCapabilities);
