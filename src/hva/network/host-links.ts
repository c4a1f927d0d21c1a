// The host's links as `ip` makes them: bridges, taps, VLAN and VXLAN
// devices, and a bridge's own addresses. Each call makes the link as asked
// whether or not it exists, so a restarted agent makes nothing twice.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { UplinkLink } from "./bridge-plan.js";

const run = promisify(execFile);

async function ip(args: string[]): Promise<string> {
  try {
    return (await run("ip", args, { encoding: "utf8" })).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error("ip is not installed: apt-get install iproute2");
    throw new Error(`ip ${args.join(" ")}: ${(e.stderr || e.message).trim()}`);
  }
}

export async function linkExists(name: string): Promise<boolean> {
  return ip(["link", "show", "dev", name]).then(
    () => true,
    () => false,
  );
}

/** A bridge whose IPv4 goes through the inet family's hooks (br_netfilter): the firewall's stateful half. */
export async function ensureBridge(name: string): Promise<void> {
  if (!(await linkExists(name))) await ip(["link", "add", name, "type", "bridge"]);
  await ip(["link", "set", name, "type", "bridge", "nf_call_iptables", "1"]);
  await ip(["link", "set", name, "up"]);
}

/**
 * The bridge holds exactly these IPv4 addresses (address/prefix), in this
 * order: the first of a subnet is its primary, the source of the host's own
 * packets and ARP requests there (the gateway's, not the DHCP server's,
 * which is kept off the uplinks). Anything else is replaced in one go.
 */
export async function setAddresses(bridge: string, wanted: readonly string[]): Promise<void> {
  const shown = JSON.parse(await ip(["-j", "-4", "addr", "show", "dev", bridge, "scope", "global"])) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const held = (shown[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  if (held.join() === wanted.join()) return;
  await ip(["addr", "flush", "dev", bridge, "scope", "global"]);
  for (const a of wanted) await ip(["addr", "add", a, "dev", bridge]);
}

/** The uplink made (a VLAN or VXLAN on the host's device, or the device itself) and joined to the bridge. */
export async function attachUplink(bridge: string, u: UplinkLink): Promise<void> {
  if (u.kind !== "device" && !(await linkExists(u.name))) {
    const args =
      u.kind === "vlan"
        ? ["link", "add", "link", u.parent, "name", u.name, "type", "vlan", "id", `${u.id}`]
        : [
            "link",
            "add",
            u.name,
            "type",
            "vxlan",
            "id",
            `${u.vni}`,
            "group",
            u.group,
            "dev",
            u.parent,
            "dstport",
            "4789",
          ];
    await ip(args).catch((err: Error) => {
      // The kernel lacks the module (8021q, vxlan) and nobody loaded it.
      if (/Unknown device type/.test(err.message))
        throw new Error(
          `this host's kernel cannot make ${u.kind} devices (modprobe ${u.kind === "vlan" ? "8021q" : "vxlan"}): ${err.message}`,
        );
      throw err;
    });
  }
  await ip(["link", "set", u.name, "master", bridge, "up"]);
}

/** A persistent tap on the bridge, for QEMU to open (`-netdev tap,ifname=...,script=no`). */
export async function ensureTap(tap: string, bridge: string): Promise<void> {
  if (!(await linkExists(tap))) await ip(["tuntap", "add", "dev", tap, "mode", "tap"]);
  await ip(["link", "set", tap, "master", bridge, "up"]);
}

export async function removeLink(name: string): Promise<void> {
  if (await linkExists(name)) await ip(["link", "del", name]);
}
