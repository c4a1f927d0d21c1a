// The user-mode guests' wall, decided: passt's command line, the nftables
// table that refuses the guests' user's connections to this host, and when
// a host cannot put the wall up.
import assert from "node:assert/strict";
import { test } from "node:test";
import { guestWallRuleset, passtArgs, wallProblem } from "../../src/hva/network/guest-wall.js";

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
  assert.deepEqual(after(passtArgs({ ...nic, dns: "10.0.2.3" }), "--dns"), ["10.0.2.3"]);
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
  const text = guestWallRuleset({ uid: 64123, gid: 64124 });
  const lines = text.split("\n").map((l) => l.trim());
  // Replaced whole in one nft -f: declared (so that delete works on a host without it), deleted, made.
  assert.deepEqual(lines.slice(0, 3), [
    "table inet wakame_guest_wall",
    "delete table inet wakame_guest_wall",
    "table inet wakame_guest_wall {",
  ]);
  assert.ok(lines.includes("type filter hook output priority filter; policy accept;"));
  const answers = lines.indexOf("meta skuid 64123 ct state established,related accept");
  const refused = lines.indexOf('meta skuid 64123 oifname "lo" counter reject');
  assert.ok(answers > 0 && refused > answers, "answers first, then every other packet to this host refused");
  assert.equal(lines.filter((l) => l.startsWith("meta")).length, 2, "nothing else is touched");
});

test("the wall needs passt, the guests' user, the privileges, and a user other than root", () => {
  const user = { uid: 64123, gid: 64123 };
  const ok = { passtInstalled: true, user, missingCapabilities: [] };
  assert.equal(wallProblem(ok), null);
  assert.match(wallProblem({ ...ok, passtInstalled: false })!, /apt-get install passt/);
  assert.equal(wallProblem({ ...ok, user: "there is no user x" }), "there is no user x");
  assert.match(
    wallProblem({ ...ok, missingCapabilities: ["CAP_SETUID", "CAP_NET_ADMIN"] })!,
    /needs CAP_SETUID, CAP_NET_ADMIN: run hva as root or as wakame-vdc-hva.service/,
  );
  assert.match(wallProblem({ ...ok, user: { uid: 0, gid: 0 } })!, /unprivileged user/);
});
