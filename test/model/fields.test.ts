import assert from "node:assert/strict";
import { test } from "node:test";
import {
  baseUriField,
  enumField,
  FieldError,
  flagField,
  intField,
  ipv4Field,
  md5Field,
  textField,
} from "../../src/model/fields.js";

test("integers: whole numbers within bounds, sizes beyond 32 bits", () => {
  const size = intField();
  assert.equal(size.parse("32212254720"), 32212254720);
  assert.equal(size.parse("1"), 1);
  assert.throws(() => size.parse("0"), /too small: it must be a positive whole number/);
  assert.throws(() => size.parse("-5"), /too small/);
  assert.throws(() => size.parse("3.5"), /'3.5' is not a positive whole number/);
  assert.throws(() => size.parse("30G"), /not a positive whole number/);
  assert.throws(() => size.parse("99999999999999999999"), /too large/);
  assert.equal(intField({ min: 0 }).parse("0"), 0);
  assert.throws(() => intField({ max: 30 }).parse("31"), /too large: at most 30/);
  assert.throws(() => size.parse(true), FieldError);
});

test("md5 checksums are 32 hex digits, stored lowercase", () => {
  assert.equal(md5Field.parse("17C696598A69760AC1110F1418B1BBEA"), "17c696598a69760ac1110f1418b1bbea");
  assert.throws(() => md5Field.parse("17c696598a69760ac1110f1418b1bbe"), /32 hexadecimal digits/);
  assert.throws(() => md5Field.parse("zzc696598a69760ac1110f1418b1bbea"), /not an md5 checksum/);
});

test("choices name every allowed value", () => {
  const f = enumField(["tgz", "gz", "tar", "none"]);
  assert.equal(f.parse("tgz"), "tgz");
  assert.throws(() => f.parse("zip"), /'zip' is not allowed: use one of tgz, gz, tar, none/);
});

test("flags take true/false or stand alone", () => {
  assert.equal(flagField.parse(true), true);
  assert.equal(flagField.parse("false"), false);
  assert.throws(() => flagField.parse("yes"), /not true or false/);
});

test("base URIs: file:/// paths and web servers, normalized to end in /", () => {
  assert.equal(baseUriField.parse("file:///var/lib/wakame-vdc/images"), "file:///var/lib/wakame-vdc/images/");
  assert.equal(baseUriField.parse("https://images.example/wakame/"), "https://images.example/wakame/");
  assert.throws(() => baseUriField.parse("/var/lib/images"), /not a URI/);
  assert.throws(() => baseUriField.parse("ftp://host/x"), /scheme ftp/);
  assert.throws(() => baseUriField.parse("file://var/lib/images"), /three slashes/);
});

test("IPv4 addresses and text limits", () => {
  assert.equal(ipv4Field.parse("10.0.2.15"), "10.0.2.15");
  assert.throws(() => ipv4Field.parse("10.0.2.256"), /not an IPv4 address/);
  assert.throws(() => ipv4Field.parse("10.0.2"), /not an IPv4 address/);
  assert.throws(() => textField({ max: 3 }).parse("abcd"), /4 characters long; at most 3/);
});
