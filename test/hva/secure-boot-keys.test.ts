// The operator's Secure Boot certificates (PEM or DER) enrolled into the
// template this host's Secure Boot instances start from, under a platform
// key of the host's own, made once.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { enrollSecureBootKeys } from "../../src/hva/vm/secure-boot-keys.js";
import { readVariables, x509SignatureList } from "../../src/model/uefi-variable-store.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("secure-boot-keys");
after(() => rmSync(dir, { recursive: true, force: true }));

function certificate(name: string, form: "PEM" | "DER"): { file: string; der: Buffer } {
  const pem = join(dir, `${name}.pem`);
  execFileSync(
    "openssl",
    [
      ...["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}/`],
      ...["-keyout", "/dev/null", "-out", pem],
    ],
    { stdio: "ignore" },
  );
  const der = execFileSync("openssl", ["x509", "-in", pem, "-outform", "DER"]);
  if (form === "PEM") return { file: pem, der };
  const file = join(dir, `${name}.der`);
  execFileSync("openssl", ["x509", "-in", pem, "-outform", "DER", "-out", file]);
  return { file, der };
}

test("the template enrolls the given KEK and db certificates, PEM or DER, under the host's own platform key", async () => {
  const kek = [certificate("kek-2011", "PEM"), certificate("kek-2023", "DER")];
  const db = [certificate("db-2023", "PEM")];
  const home = join(dir, "secure-boot");
  const ovmf = await enrollSecureBootKeys(
    debianOvmf,
    { kek: kek.map((c) => c.file), db: db.map((c) => c.file) },
    home,
  );
  assert.equal(ovmf.secureBootVars, join(home, "OVMF_VARS_4M.enrolled.fd"));
  assert.equal(ovmf.code, debianOvmf.code);
  const vars = new Map(readVariables(readFileSync(ovmf.secureBootVars)).map((v) => [v.name, v.data]));
  const owner = "a0baa8a3-041d-48a8-bc87-c36d121b5e3d";
  assert.deepEqual(vars.get("KEK"), Buffer.concat(kek.map((c) => x509SignatureList(c.der, owner))));
  assert.deepEqual(vars.get("db"), x509SignatureList(db[0]!.der, owner));
  assert.deepEqual(vars.get("SecureBootEnable"), Buffer.from([1]));
  const pk = vars.get("PK")!;
  const again = await enrollSecureBootKeys(debianOvmf, { kek: [kek[0]!.file], db: [db[0]!.file] }, home);
  assert.deepEqual(
    new Map(readVariables(readFileSync(again.secureBootVars)).map((v) => [v.name, v.data])).get("PK"),
    pk,
    "the host's platform key is made once",
  );
});

test("a store that cannot be written is refused with why and what to do, and the template before it stays whole", async () => {
  const home = join(dir, "refused");
  const kek = certificate("kek-refused", "PEM").file;
  const db = certificate("db-refused", "PEM").file;
  const before = await enrollSecureBootKeys(debianOvmf, { kek: [kek], db: [db] }, home);
  const kept = readFileSync(before.secureBootVars);
  // More certificates than one variable of OVMF's store holds (33792 bytes).
  await assert.rejects(
    enrollSecureBootKeys(debianOvmf, { kek: [kek], db: Array(60).fill(db) }, home),
    /do not fit OVMF's variable store: db is \d+ bytes: OVMF reads back at most 33792; name fewer --secure-boot-kek or --secure-boot-db files/,
  );
  assert.deepEqual(readFileSync(before.secureBootVars), kept, "the template in use is untouched");
  assert.deepEqual(readdirSync(home).sort(), ["OVMF_VARS_4M.enrolled.fd", "pk.pem"], "nothing half written");
  // A place it cannot write: a file where its directory should be.
  const blocked = join(dir, "a-file");
  writeFileSync(blocked, "");
  await assert.rejects(
    enrollSecureBootKeys(debianOvmf, { kek: [kek], db: [db] }, join(blocked, "secure-boot")),
    new RegExp(`cannot write the Secure Boot variable store template in ${blocked}/secure-boot: ENOTDIR`),
  );
});
