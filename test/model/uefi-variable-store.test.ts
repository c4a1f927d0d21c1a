// OVMF's variable store read and written without a VM: GUIDs in UEFI's byte
// order, Debian's Microsoft-key store read back, its keys written into the
// blank store and read back the same, and stores or variables OVMF could not
// use refused. test/hva/secure-boot-enrolment.test.ts boots OVMF on a store
// this writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  guidBytes,
  guids,
  guidText,
  readVariables,
  secureBootVariables,
  VariableStoreError,
  writeVariableStore,
  x509SignatureList,
} from "../../src/model/uefi-variable-store.js";

const blank = readFileSync("/usr/share/OVMF/OVMF_VARS_4M.fd");
const microsoft = readFileSync("/usr/share/OVMF/OVMF_VARS_4M.ms.fd");

test("GUIDs in UEFI's byte order, both ways", () => {
  assert.equal(guidBytes(guids.globalVariable).toString("hex"), "61dfe48bca93d211aa0d00e098032b8c");
  assert.equal(guidText(guidBytes(guids.imageSecurityDatabase)), guids.imageSecurityDatabase);
  assert.throws(() => guidBytes("not-a-guid"), VariableStoreError);
});

test("Debian's Microsoft store: its keys read back, written into the blank store, read back the same", () => {
  const keys = readVariables(microsoft).filter((v) =>
    ["PK", "KEK", "db", "dbx", "SecureBootEnable", "CustomMode"].includes(v.name),
  );
  assert.deepEqual(
    keys.map((v) => [v.name, v.attributes]),
    [
      ["db", 0x27],
      ["dbx", 0x27],
      ["KEK", 0x27],
      ["PK", 0x27],
      ["SecureBootEnable", 0x03],
      ["CustomMode", 0x03],
    ],
  );
  assert.deepEqual(readVariables(blank), [], "the blank store holds no variable");
  const written = writeVariableStore(blank, keys);
  assert.equal(written.length, blank.length);
  assert.deepEqual(readVariables(written), keys);
  // Only the variable area changed: the volume header, event log and fault-tolerant-write areas are the template's.
  assert.deepEqual(written.subarray(0, 0x64), blank.subarray(0, 0x64));
  assert.deepEqual(written.subarray(0x40000), blank.subarray(0x40000));
  // PK's bytes are Debian's own, but for the timestamp we leave at zero: same header, name and data.
  const pkAt = (store: Buffer) => store.indexOf(Buffer.from("PK\0", "utf16le")) - 60;
  const ours = written.subarray(pkAt(written), pkAt(written) + 60 + 6 + 1005);
  const debians = microsoft.subarray(pkAt(microsoft), pkAt(microsoft) + 60 + 6 + 1005);
  assert.deepEqual(ours.subarray(0, 0x10), debians.subarray(0, 0x10));
  assert.deepEqual(ours.subarray(0x20), debians.subarray(0x20));
});

test("Secure Boot's variables: PK, KEK, db as X.509 lists, an empty dbx, Secure Boot on", () => {
  const der = (n: number) => Buffer.alloc(100 + n, n);
  const vars = secureBootVariables({ pk: der(1), kek: [der(2), der(3)], db: [der(4)] });
  assert.deepEqual(
    vars.map((v) => [v.name, v.guid, v.attributes]),
    [
      ["PK", guids.globalVariable, 0x27],
      ["KEK", guids.globalVariable, 0x27],
      ["db", guids.imageSecurityDatabase, 0x27],
      ["dbx", guids.imageSecurityDatabase, 0x27],
      ["SecureBootEnable", guids.secureBootEnableDisable, 0x03],
      ["CustomMode", guids.customModeEnable, 0x03],
    ],
  );
  const kek = vars[1]!.data;
  assert.equal(kek.length, 2 * (28 + 16) + 102 + 103, "one list a certificate");
  assert.equal(guidText(kek.subarray(0, 16)), guids.certX509);
  assert.equal(kek.readUInt32LE(16), 28 + 16 + 102);
  assert.deepEqual(kek.subarray(44, 44 + 102), der(2));
  assert.deepEqual(vars[4]!.data, Buffer.from([1]));
  assert.throws(
    () => secureBootVariables({ pk: der(1), kek: [], db: [der(4)] }),
    /at least one KEK and one db/,
  );
});

test("what OVMF could not use is refused", () => {
  const v = {
    name: "db",
    guid: guids.imageSecurityDatabase,
    attributes: 0x27,
    data: x509SignatureList(Buffer.alloc(10), guids.globalVariable),
  };
  assert.throws(() => writeVariableStore(Buffer.alloc(blank.length), [v]), /not an OVMF variable store/);
  assert.throws(() => writeVariableStore(blank, [v, v]), /is given twice/);
  assert.throws(
    () => writeVariableStore(blank, [{ ...v, data: Buffer.alloc(0x8400) }]),
    /db is \d+ bytes: OVMF reads back at most 33792/,
  );
});
