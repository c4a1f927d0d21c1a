// The launch rules dcmgr and the web GUI's dialog share: hostnames, and the
// keys a Windows instance can use.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FieldError } from "../../src/model/fields.js";
import { hostnameField, isWindows, keyServesWindows } from "../../src/model/launch-rules.js";

test("hostnames: a DNS label of letters, digits and inner dashes, up to 63", () => {
  const cases: [string, RegExp | null][] = [
    ["web-01", null],
    ["A1", null],
    ["x", null],
    ["a".repeat(63), null],
    ["a".repeat(64), /is 64 characters long; at most 63 are allowed/],
    ["", /'' is not valid: use letters, digits and inner dashes, up to 63/],
    ["-web", /'-web' is not valid: use letters, digits and inner dashes/],
    ["web-", /is not valid/],
    ["under_score", /is not valid/],
    ["web.example", /is not valid/],
    ["wéb", /is not valid/],
    ["web\u001b", /holds the control character \\x1b/],
  ];
  for (const [name, want] of cases) {
    if (want === null) assert.equal(hostnameField.parse(name), name, name);
    else
      assert.throws(
        () => hostnameField.parse(name),
        (err) => err instanceof FieldError && want.test(err.message),
        name,
      );
  }
  assert.throws(() => hostnameField.parse(5), /must be text/);
});

test("Windows instances need an RSA key: no other type can encrypt the password", () => {
  const cases: [string, boolean][] = [
    ["ssh-rsa", true],
    ["ssh-ed25519", false],
    ["ecdsa-sha2-nistp256", false],
    ["ssh-dss", false],
    ["rsa", false],
  ];
  for (const [type, serves] of cases) assert.equal(keyServesWindows(type), serves, type);
  assert.equal(isWindows("windows"), true);
  assert.equal(isWindows("linux"), false);
  assert.equal(isWindows(undefined), false);
});
