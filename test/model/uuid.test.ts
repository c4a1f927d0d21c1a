import assert from "node:assert/strict";
import { test } from "node:test";
import { generateUuid, uuidPrefixes, uuidProblem } from "../../src/model/uuid.js";

test("generated uuids are the prefix and 8 lowercase base-36 characters, and differ", () => {
  const seen = new Set<string>();
  for (const kind of Object.keys(uuidPrefixes) as (keyof typeof uuidPrefixes)[]) {
    for (let i = 0; i < 200; i++) {
      const id = generateUuid(kind);
      assert.match(id, new RegExp(`^${uuidPrefixes[kind]}-[a-z0-9]{8}$`));
      assert.equal(uuidProblem(kind, id), undefined);
      seen.add(id);
    }
  }
  assert.equal(seen.size, Object.keys(uuidPrefixes).length * 200);
});

test("the seed document's chosen uuids are accepted", () => {
  assert.equal(uuidProblem("hostNode", "hn-demo1"), undefined);
  assert.equal(uuidProblem("backupObject", "bo-windows2008r2"), undefined);
  assert.equal(uuidProblem("image", "wmi-windows2008r2"), undefined);
  assert.equal(uuidProblem("backupStorage", "bkst-local"), undefined);
  assert.equal(uuidProblem("account", "a-shpoolxx"), undefined);
});

test("a uuid of another kind, or with a bad body, is refused with the expected form", () => {
  assert.match(uuidProblem("hostNode", "bo-demo1") ?? "", /must start with 'hn-' \(a host node uuid\)/);
  assert.match(uuidProblem("image", "wmi-") ?? "", /'wmi-' followed by 1 to 32 lowercase letters or digits/);
  assert.match(uuidProblem("image", "wmi-Windows") ?? "", /lowercase/);
  assert.match(uuidProblem("image", "wmi-win_2008") ?? "", /lowercase letters or digits/);
  assert.match(uuidProblem("image", `wmi-${"a".repeat(33)}`) ?? "", /1 to 32/);
  // "i-" must not accept the "wmi-" or "ssh-" prefixes by accident
  assert.notEqual(uuidProblem("instance", "wmi-abcdefgh"), undefined);
});
