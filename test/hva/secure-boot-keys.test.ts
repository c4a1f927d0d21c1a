// The operator's Secure Boot certificates (PEM or DER) enrolled into the
// template this host's Secure Boot instances start from, under a platform
// key of the host's own, made once.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
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
