// A network's uplink as the agent makes it (host-links.ts, run inside each
// host's namespace as hva is), between two hosts cabled to one switch: the
// device itself, a VLAN on it and a VXLAN over it each join the two hosts'
// bridges into one segment, and two networks on different VLAN ids or VNIs
// stay apart. Guests are namespaces on veth pairs; TCP is the test.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type HostNamespaces, makeHostNamespaces } from "../../src/cli/wakame/host-namespaces.js";
import type { UplinkLink } from "../../src/hva/network/bridge-plan.js";
import { askFrom, withoutNetns } from "../helpers/netns.js";
import { repoRoot } from "../helpers/paths.js";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
let net: HostNamespaces;
const guests = ["wku-g1", "wku-g2"];

/** host-links.ts's bridge and uplink, made by a process inside the host's namespace. */
function makeLinks(ns: string, bridge: string, uplink: UplinkLink) {
  const module = join(repoRoot, "dist/src/hva/network/host-links.js");
  const script = `const m = await import(${JSON.stringify(module)}); await m.ensureBridge(${JSON.stringify(bridge)}); await m.attachUplink(${JSON.stringify(bridge)}, ${JSON.stringify(uplink)});`;
  execFileSync("ip", ["netns", "exec", ns, process.execPath, "--input-type=module", "-e", script]);
}

/** A guest namespace on `bridge` of host `ns`, at `address`. */
function guest(name: string, ns: string, bridge: string, address: string) {
  if (existsSync(`/run/netns/${name}`)) ip("netns", "del", name);
  ip("netns", "add", name);
  ip("link", "add", `v-${name}`, "netns", ns, "type", "veth", "peer", "name", "eth0", "netns", name);
  ip("-n", ns, "link", "set", `v-${name}`, "master", bridge, "up");
  ip("-n", name, "addr", "add", `${address}/24`, "dev", "eth0");
  ip("-n", name, "link", "set", "eth0", "up");
  ip("-n", name, "link", "set", "lo", "up");
}

/** Whether this kernel makes devices of this kind (its module may be missing): tried in a scratch namespace. */
function kernelMakes(kind: "vlan" | "vxlan"): boolean {
  if (withoutNetns) return false;
  const ns = "wku-probe";
  if (existsSync(`/run/netns/${ns}`)) ip("netns", "del", ns);
  ip("netns", "add", ns);
  try {
    ip("-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1");
    if (kind === "vlan") ip("-n", ns, "link", "add", "link", "d0", "name", "x0", "type", "vlan", "id", "5");
    else ip("-n", ns, "link", "add", "x0", "type", "vxlan", "id", "5", "dstport", "4789", "dev", "d0");
    return true;
  } catch {
    return false;
  } finally {
    ip("netns", "del", ns);
  }
}

const listeners: ReturnType<typeof spawn>[] = [];
function listen(ns: string, port: number): Promise<void> {
  const child = spawn("ip", [
    "netns",
    "exec",
    ns,
    process.execPath,
    join(repoRoot, "test/helpers/tcp-probe.mjs"),
    "listen",
    String(port),
  ]);
  listeners.push(child);
  return new Promise((ready) => child.stdout.once("data", () => ready()));
}

describe("uplinks between two hosts' bridges", { skip: withoutNetns, concurrency: false }, () => {
  before(() => {
    net = makeHostNamespaces({ prefix: "wku", count: 2, managementNet: "10.254.8" });
    // The hosts' underlay addresses: a VXLAN is sent from and to them (an agent never sets them).
    for (const [k, h] of net.hosts.entries())
      ip("-n", h.ns, "addr", "add", `10.253.0.${11 + k}/24`, "dev", "up0");
  });
  after(() => {
    for (const l of listeners) l.kill();
    for (const g of guests) if (existsSync(`/run/netns/${g}`)) ip("netns", "del", g);
    net?.remove();
  });

  const cases: [string, (parent: string) => UplinkLink, (parent: string) => UplinkLink | null][] = [
    ["the device itself", (p) => ({ kind: "device", name: p }), () => null],
    [
      "a VLAN",
      (p) => ({ kind: "vlan", name: "ul-test", parent: p, id: 100 }),
      (p) => ({ kind: "vlan", name: "ul-test", parent: p, id: 200 }),
    ],
    [
      "a VXLAN",
      (p) => ({ kind: "vxlan", name: "ul-test", parent: p, vni: 42, group: "239.7.7.7" }),
      (p) => ({ kind: "vxlan", name: "ul-test", parent: p, vni: 43, group: "239.7.7.7" }),
    ],
  ];
  /** Each case starts from bare hosts: no bridge, no uplink device, no guests. */
  const reset = () => {
    // A listener left in a guest's namespace would keep it, and its veth pair, alive.
    for (const l of listeners.splice(0)) l.kill("SIGKILL");
    for (const g of guests) if (existsSync(`/run/netns/${g}`)) ip("netns", "del", g);
    for (const h of net.hosts)
      for (const link of ["ul-test", "br-test", ...guests.map((g) => `v-${g}`)]) {
        try {
          ip("-n", h.ns, "link", "del", link);
        } catch {
          // Not made yet.
        }
      }
  };
  const reaches = async () => {
    await listen(guests[1]!, 7000);
    return askFrom(guests[0]!, "10.7.0.2", 7000, "hello", 3000);
  };

  for (const [what, same, other] of cases) {
    const kind = same("up0").kind;
    const name = `${what} joins the two bridges into one segment${other("up0") ? "; another id keeps them apart" : ""}`;
    const missing =
      kind !== "device" &&
      !kernelMakes(kind) &&
      `this kernel makes no ${kind} devices (no module, no modprobe)`;
    test(name, { skip: missing }, async () => {
      const [h1, h2] = net.hosts as [HostNamespaces["hosts"][0], HostNamespaces["hosts"][0]];
      reset();
      makeLinks(h1.ns, "br-test", same("up0"));
      makeLinks(h2.ns, "br-test", same("up0"));
      // Made twice, as a restarted agent makes them: nothing changes.
      makeLinks(h2.ns, "br-test", same("up0"));
      guest(guests[0]!, h1.ns, "br-test", "10.7.0.1");
      guest(guests[1]!, h2.ns, "br-test", "10.7.0.2");
      assert.match((await reaches()) ?? "", /^hi/, `a guest on ${h1.name} reaches one on ${h2.name}`);
      const apart = other("up0");
      if (!apart) return;
      reset();
      makeLinks(h1.ns, "br-test", same("up0"));
      makeLinks(h2.ns, "br-test", apart);
      guest(guests[0]!, h1.ns, "br-test", "10.7.0.1");
      guest(guests[1]!, h2.ns, "br-test", "10.7.0.2");
      assert.equal(await reaches(), null, "a network on another id is another segment");
    });
  }
});
