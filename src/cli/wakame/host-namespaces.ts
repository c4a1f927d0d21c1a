// Several hosts on one machine, for tests and demos: each host is a network
// namespace whose device `up0` is its uplink, joined by a veth pair to a
// switch namespace's bridge, as the hosts of a rack are cabled to one
// switch. Each host also has `mg0` on a management bridge in this machine's
// own namespace, where dcmgr listens for the agents. An optional "outside"
// namespace is cabled to the first host (the gateway) by `out0`, as a
// client beyond the cloud's router; or this machine itself is cabled to the
// switch (`${prefix}-seg`), as the segment's gateway. An hva runs in each
// host namespace (`ip netns exec`) and starts its VMs there. This machine
// takes nothing from the segment but answers to what it opened. Needs root.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface HostNamespace {
  /** h1, h2, ...: the namespace is `${prefix}-h1`. */
  name: string;
  ns: string;
  /** Its address on the management bridge. */
  management: string;
}

export interface HostNamespaces {
  hosts: HostNamespace[];
  switchNs: string;
  /** This machine's address on the management bridge: where the agents reach dcmgr. */
  management: string;
  /** The outside client's namespace and address, if asked for; it routes `routes` through the first host. */
  outside: { ns: string; address: string; via: string } | null;
  /** The command line that runs `argv` inside a host's namespace. */
  inside(host: HostNamespace, argv: readonly string[]): [string, string[]];
  remove(): void;
}

export interface HostNamespaceOptions {
  /** Names start with it (and must be unique on the machine): at most 6 characters. */
  prefix: string;
  count: number;
  /** The /24 of the management bridge, as its first three octets: "10.254.1". */
  managementNet: string;
  /** An outside namespace, cabled to the first host, routing these CIDRs through it. */
  outside?: { routes: string[] };
  /** This machine itself on the switch, with this address (address/prefix): the segment's gateway. */
  machineOnSwitch?: string;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });

export function makeHostNamespaces(o: HostNamespaceOptions): HostNamespaces {
  if (process.getuid?.() !== 0)
    throw new Error("hosts as network namespaces need root (ip netns, bridges, nftables): run as root");
  if (!/^[a-z][a-z0-9]{0,5}$/.test(o.prefix))
    throw new Error(`prefix '${o.prefix}': 1-6 lower-case letters and digits`);
  const switchNs = `${o.prefix}-sw`;
  const mgmt = `${o.prefix}-mgmt`;
  const hosts = Array.from({ length: o.count }, (_, i) => ({
    name: `h${i + 1}`,
    ns: `${o.prefix}-h${i + 1}`,
    management: `${o.managementNet}.${11 + i}`,
  }));
  const outsideNs = `${o.prefix}-out`;
  const namespaces = [switchNs, ...hosts.map((h) => h.ns), ...(o.outside ? [outsideNs] : [])];
  const machinePort = `${o.prefix}-seg`;
  // This machine is the segment's gateway, and guests on it are tenants: what they send to this
  // machine itself (dcmgr's forwarder and anything else on the management address or another) is
  // dropped; only answers to what this machine opened come in. Routed traffic is not input.
  const segmentWall = `${o.prefix}_segment_wall`;
  const remove = () => {
    try {
      execFileSync("nft", ["delete", "table", "inet", segmentWall], { stdio: "ignore" });
    } catch {
      // Not there: nothing to remove.
    }
    for (const ns of namespaces) if (existsSync(`/run/netns/${ns}`)) ip("netns", "del", ns);
    for (const link of [mgmt, machinePort]) {
      try {
        ip("link", "del", link);
      } catch {
        // Not there: nothing to remove.
      }
    }
  };
  remove();
  try {
    for (const ns of namespaces) ip("netns", "add", ns);
    ip("-n", switchNs, "link", "add", "sw0", "type", "bridge");
    ip("-n", switchNs, "link", "set", "sw0", "up");
    ip("link", "add", mgmt, "type", "bridge");
    ip("addr", "add", `${o.managementNet}.1/24`, "dev", mgmt);
    ip("link", "set", mgmt, "up");
    hosts.forEach((h, i) => {
      ip("link", "add", "up0", "netns", h.ns, "type", "veth", "peer", "name", `p${i + 1}`, "netns", switchNs);
      ip("-n", switchNs, "link", "set", `p${i + 1}`, "master", "sw0", "up");
      ip("-n", h.ns, "link", "set", "up0", "up");
      const port = `${o.prefix}-m${i + 1}`;
      ip("link", "add", port, "type", "veth", "peer", "name", "mg0", "netns", h.ns);
      ip("link", "set", port, "master", mgmt, "up");
      ip("-n", h.ns, "addr", "add", `${h.management}/24`, "dev", "mg0");
      ip("-n", h.ns, "link", "set", "mg0", "up");
      ip("-n", h.ns, "link", "set", "lo", "up");
    });
    if (o.machineOnSwitch) {
      ip("link", "add", machinePort, "type", "veth", "peer", "name", "pm", "netns", switchNs);
      ip("-n", switchNs, "link", "set", "pm", "master", "sw0", "up");
      ip("addr", "add", o.machineOnSwitch, "dev", machinePort);
      execFileSync("nft", ["-f", "-"], {
        input: `table inet ${segmentWall} {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${machinePort}" ct state established,related accept
    iifname "${machinePort}" drop
  }
}
`,
      });
      ip("link", "set", machinePort, "up");
    }
    let outside: HostNamespaces["outside"] = null;
    if (o.outside) {
      const first = hosts[0]!;
      ip(
        "link",
        "add",
        "out0",
        "netns",
        first.ns,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        outsideNs,
      );
      ip("-n", first.ns, "addr", "add", "10.9.0.1/24", "dev", "out0");
      ip("-n", first.ns, "link", "set", "out0", "up");
      ip("-n", outsideNs, "addr", "add", "10.9.0.2/24", "dev", "eth0");
      ip("-n", outsideNs, "link", "set", "eth0", "up");
      ip("-n", outsideNs, "link", "set", "lo", "up");
      for (const r of o.outside.routes) ip("-n", outsideNs, "route", "add", r, "via", "10.9.0.1");
      outside = { ns: outsideNs, address: "10.9.0.2", via: "10.9.0.1" };
    }
    return {
      hosts,
      switchNs,
      management: `${o.managementNet}.1`,
      outside,
      inside: (h, argv) => ["ip", ["netns", "exec", h.ns, ...argv]],
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}
