// The host firewall's ruleset (pure): golden files for the tricky cases,
// every golden file accepted by the kernel's own check (`nft -c`), and input
// that would change what the text means refused.
// UPDATE_GOLDEN=1 writes the files anew; read the diff before committing it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FirewallInputError, type HostFirewall } from "../../src/hva/firewall/host-firewall.js";
import { narrowedAddresses } from "../../src/hva/firewall/narrowed.js";
import { renderRuleset } from "../../src/hva/firewall/ruleset.js";
import { repoRoot } from "../helpers/paths.js";

const golden = join(repoRoot, "test/fixtures/nft");
const nft = ["/usr/sbin/nft", "/sbin/nft"].find(existsSync);
const canCheck = nft && process.getuid?.() === 0;

const rdp = {
  protocol: "tcp",
  from_port: 3389,
  to_port: 3389,
  source_cidr: "0.0.0.0/0",
  source_group_id: null,
} as const;

const cases: Record<string, HostFirewall> = {
  // Nothing placed here yet: the tables exist and let everything by.
  empty: { vifs: [], groups: [] },
  // The seed's Windows instance: remote desktop from anywhere.
  "one-windows-vif": {
    vifs: [
      {
        id: "vif-aaaa0001",
        tap: "tap-aaaa0001",
        mac: "52:54:00:12:34:56",
        ipv4: "10.0.2.100",
        groups: ["sg-rdp"],
      },
    ],
    groups: [{ id: "sg-rdp", rules: [rdp], members: ["10.0.2.100"] }],
  },
  // ICMP type and code, any ICMP, a type with any code, port ranges, a CIDR,
  // a group as the source, a group with no members, the same rule twice, a
  // vif in two groups and a vif in none.
  tricky: {
    vifs: [
      {
        id: "vif-bbbb0002",
        tap: "tap-bbbb0002",
        mac: "52:54:00:00:00:02",
        ipv4: "10.0.2.102",
        groups: ["sg-web", "sg-rdp"],
      },
      {
        id: "vif-aaaa0001",
        tap: "tap-aaaa0001",
        mac: "52:54:00:00:00:01",
        ipv4: "10.0.2.101",
        groups: ["sg-app"],
      },
      { id: "vif-cccc0003", tap: "tap-cccc0003", mac: "52:54:00:00:00:03", ipv4: "10.0.2.103", groups: [] },
    ],
    groups: [
      {
        id: "sg-web",
        rules: [
          { protocol: "tcp", from_port: 80, to_port: 80, source_cidr: "0.0.0.0/0", source_group_id: null },
          {
            protocol: "tcp",
            from_port: 8000,
            to_port: 8999,
            source_cidr: "192.168.10.0/24",
            source_group_id: null,
          },
          {
            protocol: "udp",
            from_port: 1000,
            to_port: 2000,
            source_cidr: "10.1.0.0/16",
            source_group_id: null,
          },
          { protocol: "icmp", from_port: 8, to_port: 0, source_cidr: "0.0.0.0/0", source_group_id: null },
          { protocol: "icmp", from_port: 3, to_port: -1, source_cidr: "10.0.0.0/8", source_group_id: null },
          rdp,
        ],
        members: ["10.0.2.102", "10.0.9.7"],
      },
      { id: "sg-rdp", rules: [rdp], members: ["10.0.2.102"] },
      {
        id: "sg-app",
        rules: [
          { protocol: "tcp", from_port: 5432, to_port: 5432, source_cidr: null, source_group_id: "sg-web" },
          {
            protocol: "tcp",
            from_port: 6379,
            to_port: 6379,
            source_cidr: null,
            source_group_id: "sg-nobody",
          },
          { protocol: "icmp", from_port: -1, to_port: -1, source_cidr: null, source_group_id: "sg-app" },
        ],
        members: ["10.0.2.101", "10.0.2.101"],
      },
      { id: "sg-nobody", rules: [], members: [] },
    ],
  },
  // A bridged network's gateway host: its DHCP server address kept off both
  // uplinks (every host answers from it), and the network masqueraded out.
  "gateway-host": {
    vifs: [
      {
        id: "vif-aaaa0001",
        tap: "tap-aaaa0001",
        mac: "52:54:00:12:34:56",
        ipv4: "10.0.2.100",
        groups: ["sg-rdp"],
      },
    ],
    groups: [{ id: "sg-rdp", rules: [rdp], members: ["10.0.2.100"] }],
    hostLocal: { uplinks: ["up0", "vx-demo1"], addresses: ["10.0.2.253"] },
    masquerade: ["10.0.2.0/24"],
    bridges: ["br-demo1", "br-demo2"],
  },
};

test("the ruleset: golden files for an empty host, one Windows vif, the tricky rules and a gateway host", () => {
  for (const [name, state] of Object.entries(cases)) {
    const file = join(golden, `${name}.nft`);
    const text = renderRuleset(state);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
    assert.equal(text, readFileSync(file, "utf8"), `${name}.nft (UPDATE_GOLDEN=1 rewrites it)`);
    assert.equal(renderRuleset(state), text, "the same state renders the same text");
  }
});

test("the kernel accepts every golden ruleset (nft -c)", {
  skip: canCheck ? false : "needs nft (nftables) and root",
}, () => {
  for (const name of Object.keys(cases)) execFileSync(nft!, ["-c", "-f", join(golden, `${name}.nft`)]);
});

test("input that would be nft syntax of its own or mean something else is refused", () => {
  const base = cases["one-windows-vif"]!;
  const vif = base.vifs[0]!;
  const group = base.groups[0]!;
  const bad: [string, HostFirewall, RegExp][] = [
    [
      "a tap name with a quote",
      { ...base, vifs: [{ ...vif, tap: 'tap"; flush ruleset' }] },
      /interface name/,
    ],
    ["a MAC in capitals", { ...base, vifs: [{ ...vif, mac: "52:54:00:12:34:5G" }] }, /MAC/],
    ["an address that is not one", { ...base, vifs: [{ ...vif, ipv4: "10.0.2.300" }] }, /address/],
    ["a vif uuid that is not one", { ...base, vifs: [{ ...vif, id: "vif-BAD!" }] }, /vif vif-BAD!/],
    [
      "a group not given",
      { ...base, vifs: [{ ...vif, groups: ["sg-other"] }] },
      /sg-other, which is not given|its group sg-other/,
    ],
    [
      "a source group not given",
      { ...base, groups: [{ ...group, rules: [{ ...rdp, source_cidr: null, source_group_id: "sg-gone" }] }] },
      /names sg-gone/,
    ],
    [
      "a source that is not a CIDR",
      { ...base, groups: [{ ...group, rules: [{ ...rdp, source_cidr: "10.0.0.0/33" }] }] },
      /not an IPv4 CIDR/,
    ],
    [
      "an uplink name with a space",
      { ...base, hostLocal: { uplinks: ["eth 0"], addresses: ["10.0.2.9"] } },
      /uplink/,
    ],
    ["a masqueraded network that is not a CIDR", { ...base, masquerade: ["10.0.2.0"] }, /masquerade/],
    ["a bridge name with a quote", { ...base, bridges: ['br" } accept; {'] }, /bridge name/],
    [
      "a port out of range",
      { ...base, groups: [{ ...group, rules: [{ ...rdp, to_port: 70000 }] }] },
      /out of range/,
    ],
    ["a member that is not IPv4", { ...base, groups: [{ ...group, members: ["fe80::1"] }] }, /not IPv4/],
    [
      "a protocol that would be nft text",
      {
        ...base,
        groups: [
          { ...group, rules: [{ ...rdp, protocol: "tcp dport 1 accept; flush ruleset; tcp" as "tcp" }] },
        ],
      },
      /protocol 'tcp dport 1 accept; flush ruleset; tcp' is not one of tcp, udp, icmp/,
    ],
  ];
  for (const [name, state, message] of bad)
    assert.throws(
      () => renderRuleset(state),
      (e: Error) => e instanceof FirewallInputError && message.test(e.message),
      name,
    );
});

test("narrowed: the vifs a new state lets in less, whose connections are to be forgotten", () => {
  const tricky = cases.tricky!;
  const withGroup = (
    id: string,
    change: (g: HostFirewall["groups"][number]) => HostFirewall["groups"][number],
  ) => ({
    ...tricky,
    groups: tricky.groups.map((g) => (g.id === id ? change(g) : g)),
  });
  const narrowing: [string, HostFirewall, string[]][] = [
    ["unchanged", tricky, []],
    [
      "a rule of sg-web gone: its one member here",
      withGroup("sg-web", (g) => ({ ...g, rules: g.rules.slice(1) })),
      ["10.0.2.102"],
    ],
    [
      "a rule added to sg-web",
      withGroup("sg-web", (g) => ({ ...g, rules: [...g.rules, { ...rdp, from_port: 22, to_port: 22 }] })),
      [],
    ],
    // sg-web is app's source for 5432 and web's own group: both let in less.
    [
      "sg-web lost a member",
      withGroup("sg-web", (g) => ({ ...g, members: ["10.0.2.102"] })),
      ["10.0.2.101", "10.0.2.102"],
    ],
    [
      "sg-web gained a member",
      withGroup("sg-web", (g) => ({ ...g, members: [...g.members, "10.0.2.200"] })),
      [],
    ],
    ["a vif gone: nothing of it to forget", { ...tricky, vifs: tricky.vifs.slice(1) }, []],
  ];
  for (const [name, after, want] of narrowing) assert.deepEqual(narrowedAddresses(tricky, after), want, name);
});
