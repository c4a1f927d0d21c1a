import assert from "node:assert/strict";
import { test } from "node:test";
import { allowsPort, parseRules } from "../../src/model/security-group-rules.js";

test("the rules of api.md parse, comments and blank lines aside", () => {
  const rules = parseRules(
    [
      "# remote desktop",
      "tcp:3389,3389,ip4:0.0.0.0",
      "",
      "tcp:22,22,ip4:10.0.0.0/8",
      "udp:53,53,ip4:0.0.0.0/0",
      "icmp:-1,-1,ip4:0.0.0.0/0",
      "tcp:80,80,sg-webfrnt  # web",
    ].join("\n"),
  );
  assert.deepEqual(
    rules.map((r) => [r.line, r.protocol, r.from_port, r.to_port, r.source_cidr, r.source_group_id]),
    [
      [2, "tcp", 3389, 3389, "0.0.0.0/0", null],
      [4, "tcp", 22, 22, "10.0.0.0/8", null],
      [5, "udp", 53, 53, "0.0.0.0/0", null],
      [6, "icmp", -1, -1, "0.0.0.0/0", null],
      [7, "tcp", 80, 80, null, "sg-webfrnt"],
    ],
  );
  assert.ok(allowsPort(rules, "tcp", 3389));
  assert.ok(!allowsPort(rules, "tcp", 3390));
  assert.ok(allowsPort(rules, "udp", 53));
});

test("a single address is a /32; a network address is normalized", () => {
  const [one, net] = parseRules("tcp:1,65535,ip4:192.168.1.7\ntcp:1,2,ip4:192.168.1.7/24");
  assert.equal(one!.source_cidr, "192.168.1.7/32");
  assert.equal(net!.source_cidr, "192.168.1.0/24");
});

test("bad rules are refused with their line number and the reason", () => {
  const refused: [string, RegExp][] = [
    ["tcp:3389,3389", /'tcp:3389,3389': write PROTO:FROM,TO,SOURCE/],
    ["ftp:21,21,ip4:0.0.0.0", /unknown protocol 'ftp'/],
    ["tcp:0,10,ip4:0.0.0.0", /ports are 1 to 65535, not 0/],
    ["tcp:70000,70000,ip4:0.0.0.0", /not 70000/],
    ["tcp:90,80,ip4:0.0.0.0", /the first port \(90\) is above the last \(80\)/],
    ["icmp:-2,0,ip4:0.0.0.0", /ICMP type and code are -1/],
    ["tcp:1,2,ip6:::/0", /unknown source 'ip6:::\/0'/],
    ["tcp:1,2,ip4:10.0.0.300", /'10.0.0.300' is not an IPv4 address/],
    ["tcp:1,2,ip4:10.0.0.0/33", /prefix \/33 is above 32/],
    ["tcp:1,2,sg-BAD", /source sg-BAD/],
  ];
  for (const [rule, message] of refused) {
    assert.throws(
      () => parseRules(`# ok\n${rule}`),
      (err: Error) => {
        assert.match(err.message, /^rule line 2 /);
        assert.match(err.message, message);
        return true;
      },
    );
  }
});
