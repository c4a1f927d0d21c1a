// The operator's extra hosts entries, as --extra-hosts takes them: one row a case.
import assert from "node:assert/strict";
import { test } from "node:test";
import { extraHostsField } from "../../src/model/extra-hosts.js";
import { FieldError } from "../../src/model/fields.js";

const taken: [string, Record<string, string>][] = [
  ["fluent.local=192.168.1.101", { "fluent.local": "192.168.1.101" }],
  [" KMS.example.com=10.0.0.5 , updates=10.0.0.6", { "kms.example.com": "10.0.0.5", updates: "10.0.0.6" }],
];
for (const [raw, hosts] of taken)
  test(`taken: ${raw}`, () => assert.deepEqual(extraHostsField.parse(raw), hosts));

const refused: [string, RegExp][] = [
  ["", /give at least one NAME=IPV4/],
  ["fluent.local", /'fluent\.local': write NAME=IPV4/],
  ["-bad=10.0.0.1", /'-bad=10\.0\.0\.1': write NAME=IPV4/],
  ["a=b=c", /'a=b=c': write NAME=IPV4/],
  ["kms=10.0.0.300", /'kms=10\.0\.0\.300': '10\.0\.0\.300' /],
  ["kms=10.0.0.1,KMS=10.0.0.2", /'KMS' is named twice/],
];
for (const [raw, message] of refused)
  test(`refused: '${raw}'`, () =>
    assert.throws(
      () => extraHostsField.parse(raw),
      (err: Error) => err instanceof FieldError && message.test(err.message),
    ));
