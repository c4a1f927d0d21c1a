// The user-mode guests' wall, decided: passt's command line, the nftables
// table that refuses the guests' user's connections to this host, and when
// a host cannot put the wall up.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  guardedForwards,
  guestWallRuleset,
  guestWallTable,
  hasDefaultRoute,
  passtArgs,
  WallInputError,
  wallProblem,
} from "../../src/hva/network/guest-wall.js";

const nic = {
  guestAddress: "10.0.2.101",
  netmask: "255.255.255.0",
  gateway: "10.0.2.2",
  dns: null,
  forwards: [
    { protocol: "tcp" as const, guest_port: 3389, host_address: "127.0.0.1", host_port: 40001 },
    { protocol: "tcp" as const, guest_port: 7777, host_address: "127.0.0.1", host_port: 40002 },
    { protocol: "udp" as const, guest_port: 53, host_address: "0.0.0.0", host_port: 40003 },
  ],
};

const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

test("passt: the socket at fd 3, IPv4 only, the gateway not mapped to the host, the leased address", () => {
  const args = passtArgs(nic);
  assert.deepEqual(after(args, "--fd"), ["3"]);
  for (const flag of ["--foreground", "--ipv4-only", "--no-map-gw"]) assert.ok(args.includes(flag), flag);
  assert.deepEqual(after(args, "--address"), ["10.0.2.101"]);
  assert.deepEqual(after(args, "--netmask"), ["24"]);
  assert.deepEqual(after(args, "--gateway"), ["10.0.2.2"]);
  assert.deepEqual(after(args, "--dns"), [], "no DNS server named: passt gives the host's");
  const own = passtArgs({ ...nic, dns: "10.0.2.3" });
  assert.deepEqual(after(own, "--dns"), ["10.0.2.3"]);
  assert.deepEqual(after(own, "--dns-forward"), ["10.0.2.3"], "in the guest's network: passt answers it");
  const outside = passtArgs({ ...nic, dns: "192.0.2.53" });
  assert.deepEqual(after(outside, "--dns"), ["192.0.2.53"]);
  assert.deepEqual(after(outside, "--dns-forward"), [], "elsewhere: the guest reaches it itself");
});

test("passt forwards the security groups' ports only, each from its host address and port", () => {
  const args = passtArgs(nic);
  assert.deepEqual(after(args, "--tcp-ports"), ["127.0.0.1/40001:3389", "127.0.0.1/40002:7777"]);
  assert.deepEqual(after(args, "--udp-ports"), ["0.0.0.0/40003:53"]);
  const none = passtArgs({ ...nic, forwards: [] });
  assert.deepEqual(after(none, "--tcp-ports"), ["none"]);
  assert.deepEqual(after(none, "--udp-ports"), ["none"]);
});

test("the wall: the guests' user's new connections to this host refused, answers to forwards let through", () => {
  const table = guestWallTable("/var/lib/wakame-vdc/instances");
  assert.match(table, /^wakame_guest_wall_[0-9a-f]{8}$/);
  assert.notEqual(guestWallTable("/tmp/other/instances"), table, "each agent's wall is its own");
  const text = guestWallRuleset(table, { uid: 64123, gid: 64124 });
  const lines = text.split("\n").map((l) => l.trim());
  // Replaced whole in one nft -f: declared (so that delete works on a host without it), deleted, made.
  assert.deepEqual(lines.slice(0, 3), [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
  ]);
  assert.ok(lines.includes("type filter hook output priority filter; policy accept;"));
  const answers = lines.indexOf("meta skuid 64123 ct state established,related accept");
  const refused = lines.indexOf('meta skuid 64123 oifname "lo" counter reject');
  assert.ok(answers > 0 && refused > answers, "answers first, then every other packet to this host refused");
  assert.equal(lines.filter((l) => l.startsWith("meta")).length, 2, "nothing else is touched");
});

test("the wall needs passt, the guests' user, the privileges, and a user other than root", () => {
  const user = { uid: 64123, gid: 64123 };
  const ok = { passtInstalled: true, user, missingCapabilities: [], defaultRoute: true };
  assert.equal(wallProblem(ok), null);
  assert.match(wallProblem({ ...ok, passtInstalled: false })!, /apt-get install passt/);
  assert.equal(wallProblem({ ...ok, user: "there is no user x" }), "there is no user x");
  assert.match(
    wallProblem({ ...ok, missingCapabilities: ["CAP_SETUID", "CAP_NET_ADMIN"] })!,
    /needs CAP_SETUID, CAP_NET_ADMIN: run hva as root or as wakame-vdc-hva.service/,
  );
  assert.match(wallProblem({ ...ok, user: { uid: 0, gid: 0 } })!, /unprivileged user/);
  assert.match(wallProblem({ ...ok, defaultRoute: false })!, /no IPv4 default route/);
  const table = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n";
  const route = (dest: string, mask: string) => `eth0\t${dest}\t010200C0\t0003\t0\t0\t0\t${mask}\t0\t0\t0\n`;
  assert.equal(hasDefaultRoute(table + route("000200C0", "00FFFFFF") + route("00000000", "00000000")), true);
  assert.equal(hasDefaultRoute(table + route("000200C0", "00FFFFFF")), false);
  assert.equal(hasDefaultRoute(table), false);
});

test("forwards open to some sources only are guarded: their host port closed to all but those, live with the rules", () => {
  const rules = [
    { protocol: "tcp", from_port: 3389, to_port: 3389, source_cidr: "0.0.0.0/0", source_group_id: null },
    { protocol: "tcp", from_port: 7777, to_port: 7777, source_cidr: "10.9.9.9/32", source_group_id: null },
    { protocol: "tcp", from_port: 7777, to_port: 7778, source_cidr: "192.0.2.0/24", source_group_id: null },
    { protocol: "udp", from_port: 53, to_port: 53, source_cidr: null, source_group_id: "sg-dns" },
  ];
  const guards = guardedForwards(rules, nic.forwards);
  assert.deepEqual(guards, [
    { protocol: "tcp", host_port: 40002, sources: ["10.9.9.9/32", "192.0.2.0/24"] },
    { protocol: "udp", host_port: 40003, sources: [] },
  ]);
  const text = guestWallRuleset("w", { uid: 64123, gid: 64123 }, guards);
  const lines = text.split("\n").map((l) => l.trim());
  assert.ok(lines.includes("type filter hook input priority filter; policy accept;"));
  assert.ok(lines.includes("tcp dport 40002 ip saddr != { 10.9.9.9/32, 192.0.2.0/24 } counter drop"));
  assert.ok(lines.includes("udp dport 40003 counter drop"), "open to a group's members only: closed to all");
  assert.ok(!text.includes("40001"), "3389 is open to everyone: no guard");
});

test("a guard that would be nft text is refused", () => {
  const user = { uid: 64123, gid: 64123 };
  for (const [guard, message] of [
    [
      { protocol: "tcp", host_port: 40002, sources: ["10.0.0.0/8 } accept; flush ruleset; {"] },
      /not an IPv4 CIDR/,
    ],
    [{ protocol: "tcp", host_port: 70000, sources: [] }, /not a TCP or UDP port/],
    [{ protocol: "sctp", host_port: 1, sources: [] }, /not a TCP or UDP port/],
  ] as const)
    assert.throws(
      () => guestWallRuleset("w", user, [guard as never]),
      (e: Error) => e instanceof WallInputError && message.test(e.message),
    );
});
