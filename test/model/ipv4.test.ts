import assert from "node:assert/strict";
import { test } from "node:test";
import {
  inNetwork,
  ipv4ToNumber,
  networkAddress,
  numberToIpv4,
  prefixToNetmask,
} from "../../src/model/ipv4.js";

test("addresses convert to numbers and back", () => {
  for (const a of ["0.0.0.0", "10.0.2.15", "192.168.1.255", "255.255.255.255"]) {
    assert.equal(numberToIpv4(ipv4ToNumber(a)), a);
  }
  assert.equal(ipv4ToNumber("0.0.1.2"), 258);
});

test("netmasks and network addresses", () => {
  assert.equal(prefixToNetmask(24), "255.255.255.0");
  assert.equal(prefixToNetmask(8), "255.0.0.0");
  assert.equal(prefixToNetmask(30), "255.255.255.252");
  assert.equal(networkAddress("10.0.2.77", 24), "10.0.2.0");
  assert.equal(networkAddress("172.16.9.1", 12), "172.16.0.0");
  assert.ok(inNetwork("10.0.2.250", "10.0.2.0", 24));
  assert.ok(!inNetwork("10.0.3.1", "10.0.2.0", 24));
});
