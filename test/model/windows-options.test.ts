// The Windows options' rules, pure: the product key and KMS host as dcmgr and
// the launch dialog check them, the operator's defaults under a launch's own,
// and the product key as answers show it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FieldError } from "../../src/model/fields.js";
import {
  defaultWindowsOptions,
  kmsHostField,
  launchWindowsOptions,
  maskedProductKey,
  productKeyField,
  windowsOptions,
} from "../../src/model/windows-options.js";

test("product keys: five groups of five, upper-cased; a wrong one is refused without being repeated", () => {
  assert.equal(productKeyField.parse(" abcde-fghij-klmno-pqrst-vwxy2 "), "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2");
  for (const wrong of [
    "ABCDE-FGHIJ-KLMNO-PQRST",
    "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2-",
    "ABCDEFGHIJKLMNOPQRSTVWXY2",
    "ABCDE_FGHIJ_KLMNO_PQRST_VWXY2",
    "",
    12345,
  ]) {
    assert.throws(
      () => productKeyField.parse(wrong),
      (err: Error) => {
        assert.ok(err instanceof FieldError);
        assert.ok(!err.message.includes("ABCDE"), err.message);
        return true;
      },
    );
  }
  assert.equal(maskedProductKey("ABCDE-FGHIJ-KLMNO-PQRST-VWXY2"), "*****-*****-*****-*****-VWXY2");
});

test("KMS hosts: a name or address and a port from 1 to 65535", () => {
  for (const good of ["kms.example.com:1688", "10.0.0.5:1688", "kms:1"])
    assert.equal(kmsHostField.parse(good), good);
  for (const bad of [
    "kms.example.com",
    "kms.example.com:0",
    "kms:65536",
    ":1688",
    "-kms:1688",
    "kms example:1688",
    "kms:16x8",
  ])
    assert.throws(() => kmsHostField.parse(bad), /is not a KMS host: write HOST:PORT/, bad);
});

test("a launch's options over the operator's defaults; a KMS host only with activation", () => {
  const operator = {
    ...defaultWindowsOptions,
    auto_activate: true,
    kms_host: "kms.corp:1688",
    password_retries: 5,
  };
  assert.deepEqual(windowsOptions({}, defaultWindowsOptions), { options: defaultWindowsOptions });
  assert.deepEqual(windowsOptions({ password_retries: 3, kms_host: undefined }, operator), {
    options: { ...operator, password_retries: 3 },
  });
  assert.deepEqual(windowsOptions({ auto_activate: false }, operator), {
    options: { ...operator, auto_activate: false, kms_host: null },
  });
  assert.deepEqual(windowsOptions({ kms_host: "kms:1688" }, defaultWindowsOptions), {
    problem: "kms_host is where activation goes: give auto_activate=true with it",
    field: "kms_host",
  });
  assert.deepEqual(windowsOptions({ kms_host: "kms:1688", auto_activate: true }, defaultWindowsOptions), {
    options: { ...defaultWindowsOptions, kms_host: "kms:1688", auto_activate: true },
  });
});

test("an image that is not Windows takes no options: none given, none kept; one given, refused by its name", () => {
  const linux = { id: "wmi-linux", os_type: "linux" };
  assert.deepEqual(launchWindowsOptions({ product_key: undefined }, linux, defaultWindowsOptions), {
    options: null,
  });
  assert.deepEqual(launchWindowsOptions({ password_retries: 3 }, linux, defaultWindowsOptions), {
    problem: "password_retries: Windows options are for Windows images, and wmi-linux is linux",
    field: "password_retries",
  });
  assert.deepEqual(
    launchWindowsOptions(
      { windows_firewall: true },
      { id: "wmi-w", os_type: "windows" },
      defaultWindowsOptions,
    ),
    { options: { ...defaultWindowsOptions, windows_firewall: true } },
  );
});
