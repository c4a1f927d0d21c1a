// What a bridged host should have, decided from its state without I/O: per
// network a bridge (its name from the network's uuid), the uplink device
// that joins the hosts' bridges, the bridge's own addresses (the DHCP
// server's, and the gateway's on the gateway host), the DHCP server's
// static entries and command line, and the firewall (ruleset.ts) over every
// vif. bridged.ts makes the host so.

import type { HostNetwork, HostState } from "../../model/agent-contract.js";
import { prefixToNetmask } from "../../model/ipv4.js";
import { parseUplink } from "../../model/network-uplink.js";
import { uuidBody } from "../../model/uuid.js";
import type { HostFirewall } from "../firewall/host-firewall.js";

/** Interface names hold 15 characters; uuid bodies are 8 in practice, cut for safety. */
export const bridgeName = (networkId: string) => `br-${uuidBody(networkId)}`.slice(0, 15);
export const tapName = (vifId: string) => `tap-${uuidBody(vifId)}`.slice(0, 15);
const uplinkName = (networkId: string) => `ul-${uuidBody(networkId)}`.slice(0, 15);

/** The multicast group VXLAN uplinks flood by: one for all VNIs, each VNI stays apart by its id. */
const vxlanGroup = "239.7.7.7";

export interface BridgeOptions {
  /** The host's device its networks' uplinks are made on (`hva --uplink-device`). */
  uplinkDevice: string | null;
  /** This host is its networks' gateway (`hva --gateway`): it holds their gateway address and masquerades those with nat. */
  gateway: boolean;
}

export type UplinkLink =
  | { kind: "device"; name: string }
  | { kind: "vlan"; name: string; parent: string; id: number }
  | { kind: "vxlan"; name: string; parent: string; vni: number; group: string };

export interface BridgePlan {
  network: HostNetwork;
  bridge: string;
  /** CIDR forms (address/prefix) the bridge itself holds. */
  addresses: string[];
  uplink: UplinkLink | null;
  /** Static DHCP entries, `MAC,ADDRESS[,HOSTNAME]` as dnsmasq's --dhcp-host takes them; null: no DHCP. */
  dhcpHosts: string[] | null;
}

export class BridgePlanError extends Error {}

export function planBridges(state: HostState, o: BridgeOptions): BridgePlan[] {
  return state.networks.map((n) => {
    const u = parseUplink(n.uplink);
    if (u && !o.uplinkDevice)
      throw new BridgePlanError(
        `network ${n.id} has uplink ${n.uplink}, and this host has no uplink device: start hva with --uplink-device DEVICE`,
      );
    const parent = o.uplinkDevice!;
    const uplink: UplinkLink | null =
      u === null
        ? null
        : u.kind === "interface"
          ? { kind: "device", name: parent }
          : u.kind === "vlan"
            ? { kind: "vlan", name: uplinkName(n.id), parent, id: u.id }
            : { kind: "vxlan", name: uplinkName(n.id), parent, vni: u.vni, group: vxlanGroup };
    // The gateway's first: the primary address, whose ARP may cross the uplink.
    const addresses = [
      ...(o.gateway && n.ipv4_gw ? [`${n.ipv4_gw}/${n.prefix}`] : []),
      ...(n.dhcp_server ? [`${n.dhcp_server}/${n.prefix}`] : []),
    ];
    const dhcpHosts = n.dhcp_server
      ? state.instances.flatMap((i) =>
          i.vifs
            .filter((v) => v.network_id === n.id && v.ipv4_address)
            .map((v) => `${v.mac_address},${v.ipv4_address}${i.hostname ? `,${i.hostname}` : ""}`),
        )
      : null;
    return { network: n, bridge: bridgeName(n.id), addresses, uplink, dhcpHosts };
  });
}

/**
 * dnsmasq for one network: DHCP only (no DNS), static entries only, on the
 * network's bridge alone. The entries are on its command line and it keeps
 * no lease file: it reads no file after it drops root, so the agent's own
 * directory stays closed to others.
 */
export function dnsmasqArgs(p: BridgePlan, pidFile: string): string[] {
  const n = p.network;
  return [
    "--conf-file=/dev/null",
    "--port=0",
    "--bind-interfaces",
    `--interface=${p.bridge}`,
    "--except-interface=lo",
    `--listen-address=${n.dhcp_server}`,
    `--dhcp-range=${n.ipv4_network},static,${prefixToNetmask(n.prefix)},12h`,
    `--pid-file=${pidFile}`,
    "--leasefile-ro",
    "--dhcp-authoritative",
    n.ipv4_gw ? `--dhcp-option=option:router,${n.ipv4_gw}` : "--dhcp-option=option:router",
    ...(n.dns_server ? [`--dhcp-option=option:dns-server,${n.dns_server}`] : []),
    ...(p.dhcpHosts ?? []).map((h) => `--dhcp-host=${h}`),
  ];
}

/** The host's firewall: every vif with an address, behind its instance's groups; host-local DHCP servers; NAT. */
export function hostFirewall(state: HostState, plans: readonly BridgePlan[], o: BridgeOptions): HostFirewall {
  const uplinks = [...new Set(plans.flatMap((p) => (p.uplink ? [p.uplink.name] : [])))];
  return {
    vifs: state.instances.flatMap((i) =>
      i.vifs.flatMap((v) =>
        v.ipv4_address
          ? [
              {
                id: v.id,
                tap: tapName(v.id),
                mac: v.mac_address,
                ipv4: v.ipv4_address,
                groups: i.security_group_ids,
              },
            ]
          : [],
      ),
    ),
    groups: state.security_groups.map((g) => ({
      id: g.id,
      rules: g.rules.map((r) => ({ ...r, protocol: r.protocol as "tcp" | "udp" | "icmp" })),
      members: g.members,
    })),
    bridges: plans.map((p) => p.bridge),
    hostLocal: {
      uplinks,
      addresses: plans.flatMap((p) => (p.network.dhcp_server && p.uplink ? [p.network.dhcp_server] : [])),
    },
    masquerade: o.gateway
      ? plans.filter((p) => p.network.nat).map((p) => `${p.network.ipv4_network}/${p.network.prefix}`)
      : [],
  };
}
