import assert from "node:assert/strict";
import { test } from "node:test";
import { netmaskToPrefix } from "../../src/model/ipv4.js";
import { forwardedPorts, maxForwardsPerRule } from "../../src/model/port-forward.js";

test("TCP and UDP rules forward their guest ports once each; ICMP forwards nothing", () => {
  assert.deepEqual(
    forwardedPorts([
      { protocol: "tcp", from_port: 3389, to_port: 3389 },
      { protocol: "icmp", from_port: -1, to_port: -1 },
      { protocol: "udp", from_port: 53, to_port: 54 },
      { protocol: "tcp", from_port: 3389, to_port: 3389 },
    ]),
    [
      { protocol: "tcp", guest_port: 3389 },
      { protocol: "udp", guest_port: 53 },
      { protocol: "udp", guest_port: 54 },
    ],
  );
});

test("a wide rule forwards only its first ports, not 65,535 host ports", () => {
  const ports = forwardedPorts([{ protocol: "tcp", from_port: 1, to_port: 65535 }]);
  assert.equal(ports.length, maxForwardsPerRule);
  assert.deepEqual(ports.at(-1), { protocol: "tcp", guest_port: maxForwardsPerRule });
});

test("netmasks give their prefix lengths", () => {
  assert.deepEqual(
    ["255.255.255.0", "255.255.0.0", "255.255.255.252", "0.0.0.0", "255.255.255.255"].map(netmaskToPrefix),
    [24, 16, 30, 0, 32],
  );
});
