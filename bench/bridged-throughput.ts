// Throughput between two guests on different hosts through our bridges and
// rules, against the same path with our tables removed, in the same run
// (issue 12): two hosts as network namespaces cabled to a switch namespace
// (src/cli/wakame/host-namespaces.ts), each with a bridge as the agent makes
// it (nf_call_iptables on) and its uplink; a guest namespace on each bridge
// by a veth pair whose host end is the vif's tap; each host's ruleset
// rendered by ruleset.ts (A lets B's group in on TCP 5201; anti-spoofing at
// both taps) and applied by apply.ts. One TCP stream, Node at both ends,
// 5 s a run, 3 runs each, alternating.
// Run as root: npm run bench:bridged
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { makeHostNamespaces } from "../src/cli/wakame/host-namespaces.js";
import { applyRuleset } from "../src/hva/firewall/apply.js";
import { filterTable, guardTable, type HostFirewall, natTable } from "../src/hva/firewall/host-firewall.js";
import { renderRuleset } from "../src/hva/firewall/ruleset.js";
import { root } from "./bench-cloud.js";

if (process.getuid?.() !== 0) throw new Error("run as root: hosts and guests are network namespaces");
const ip = (...args: string[]) => execFileSync("ip", args);
const net = makeHostNamespaces({ prefix: "wkp", count: 2, managementNet: "10.254.9" });
const guests = [
  {
    ns: "wkp-g1",
    vif: "vif-aaaa0001",
    tap: "tap-aaaa0001",
    mac: "52:54:00:00:0a:01",
    ipv4: "10.0.2.101",
    group: "sg-a",
  },
  {
    ns: "wkp-g2",
    vif: "vif-bbbb0002",
    tap: "tap-bbbb0002",
    mac: "52:54:00:00:0b:02",
    ipv4: "10.0.2.102",
    group: "sg-b",
  },
];
const probe = join(root, "bench/tcp-throughput.mjs");
const groups = [
  {
    id: "sg-a",
    rules: [
      {
        protocol: "tcp" as const,
        from_port: 5201,
        to_port: 5201,
        source_cidr: null,
        source_group_id: "sg-b",
      },
    ],
    members: ["10.0.2.101"],
  },
  { id: "sg-b", rules: [], members: ["10.0.2.102"] },
];

let sink: ReturnType<typeof spawn> | undefined;
try {
  for (const [i, g] of guests.entries()) {
    const host = net.hosts[i]!.ns;
    if (existsSync(`/run/netns/${g.ns}`)) ip("netns", "del", g.ns);
    ip("netns", "add", g.ns);
    ip("-n", host, "link", "add", "br-demo1", "type", "bridge", "nf_call_iptables", "1");
    ip("-n", host, "link", "set", "up0", "master", "br-demo1");
    ip("-n", host, "link", "set", "br-demo1", "up");
    ip("link", "add", g.tap, "netns", host, "type", "veth", "peer", "name", "eth0", "netns", g.ns);
    ip("-n", host, "link", "set", g.tap, "master", "br-demo1", "up");
    ip("-n", g.ns, "link", "set", "eth0", "address", g.mac);
    ip("-n", g.ns, "addr", "add", `${g.ipv4}/24`, "dev", "eth0");
    ip("-n", g.ns, "link", "set", "eth0", "up");
  }
  const firewall = (i: number): HostFirewall => {
    const g = guests[i]!;
    return {
      vifs: [{ id: g.vif, tap: g.tap, mac: g.mac, ipv4: g.ipv4, groups: [g.group] }],
      groups,
      hostLocal: { uplinks: ["up0"], addresses: [] },
    };
  };
  const withRules = async () => {
    for (const [i, h] of net.hosts.entries()) await applyRuleset(renderRuleset(firewall(i)), { netns: h.ns });
  };
  // Declared, then deleted: our tables are gone, whichever existed.
  const noTables = [`bridge ${guardTable}`, `inet ${filterTable}`, `ip ${natTable}`]
    .map((t) => `table ${t}\ndelete table ${t}\n`)
    .join("");
  const withoutRules = async () => {
    for (const h of net.hosts) await applyRuleset(noTables, { netns: h.ns });
  };

  sink = spawn("ip", ["netns", "exec", guests[0]!.ns, process.execPath, probe, "sink", "5201"]);
  sink.stdout!.setEncoding("utf8");
  let said = "";
  sink.stdout!.on("data", (d) => {
    said += d;
  });
  while (!said.includes("ready")) await new Promise((r) => setTimeout(r, 20));
  const once = async () => {
    const before = said.length;
    execFileSync("ip", [
      "netns",
      "exec",
      guests[1]!.ns,
      process.execPath,
      probe,
      "source",
      guests[0]!.ipv4,
      "5201",
      "5",
    ]);
    while (said.length === before || !said.slice(before).includes("\n"))
      await new Promise((r) => setTimeout(r, 20));
    const [bytes, seconds] = said.slice(before).trim().split(" ").map(Number);
    return (bytes! * 8) / seconds! / 1e9;
  };
  const runs: Record<string, number[]> = { "our bridges and rules": [], "same path, our tables removed": [] };
  for (let r = 0; r < 3; r++) {
    await withRules();
    runs["our bridges and rules"]!.push(await once());
    await withoutRules();
    runs["same path, our tables removed"]!.push(await once());
  }
  console.log(`one TCP stream B -> A across two hosts (namespaces), 5 s a run; ${cpus().length} cores`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, xs] of Object.entries(runs))
    console.log(
      `${name.padEnd(32)} median ${median(xs).toFixed(2)} Gbit/s (runs: ${xs.map((x) => x.toFixed(2)).join(", ")})`,
    );
  const [ours, bare] = Object.values(runs).map(median);
  console.log(
    `the ruleset's cost: ${(((bare! - ours!) / bare!) * 100).toFixed(1)}% (ours/bare ${(ours! / bare!).toFixed(3)})`,
  );
} finally {
  sink?.kill();
  for (const g of guests) if (existsSync(`/run/netns/${g.ns}`)) ip("netns", "del", g.ns);
  net.remove();
}
