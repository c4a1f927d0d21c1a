// A UEFI instance's variable store: which template it starts from, what a host
// without OVMF says, and a store made whole or not at all.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { debianOvmf, firmwareMissing, makeVarStore, varsTemplate } from "../../src/hva/vm/firmware.js";
import { hardwareMissing } from "../../src/hva/vm/host-hardware.js";
import { virtualHardware } from "../../src/model/image-features.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("firmware");
after(() => rmSync(dir, { recursive: true, force: true }));

test("BIOS has no store; UEFI starts from the empty one; Secure Boot from the operator's template", () => {
  assert.equal(varsTemplate(virtualHardware({}), debianOvmf), null);
  assert.equal(varsTemplate(virtualHardware({ tpm: true }), debianOvmf), null);
  assert.equal(varsTemplate(virtualHardware({ uefi: true }), debianOvmf), debianOvmf.emptyVars);
  assert.equal(
    varsTemplate(virtualHardware({ uefi: true, secure_boot: true }), debianOvmf),
    debianOvmf.secureBootVars,
  );
});

test("a host without OVMF, or without the template, says what to install; BIOS needs neither", () => {
  const none = {
    code: join(dir, "no-code.fd"),
    emptyVars: join(dir, "no-vars.fd"),
    secureBootVars: join(dir, "no-sb.fd"),
  };
  assert.equal(firmwareMissing(virtualHardware({}), none), null);
  assert.match(
    firmwareMissing(virtualHardware({ uefi: true }), none) ?? "",
    /has no OVMF .*no-code\.fd.*install Debian's ovmf/,
  );
  const code = join(dir, "code.fd");
  writeFileSync(code, "");
  assert.match(
    firmwareMissing(virtualHardware({ uefi: true, secure_boot: true }), { ...none, code }) ?? "",
    /Secure Boot variable store template .*no-sb\.fd is missing/,
  );
  assert.equal(
    firmwareMissing(virtualHardware({ uefi: true, secure_boot: true }), debianOvmf),
    null,
    "this machine has ovmf",
  );
});

test("a TPM image on a host without swtpm is refused with what to install; the firmware's lack comes first", () => {
  const host = { cpuModel: "Nehalem", ovmf: debianOvmf, swtpm: false };
  assert.match(
    hardwareMissing(virtualHardware({ tpm: true }), host) ?? "",
    /has no swtpm: install Debian's swtpm and swtpm-tools/,
  );
  assert.equal(hardwareMissing(virtualHardware({ uefi: true }), host), null);
  assert.equal(hardwareMissing(virtualHardware({ tpm: true }), { ...host, swtpm: true }), null);
  const noOvmf = { ...host, ovmf: { ...debianOvmf, code: join(dir, "none.fd") } };
  assert.match(hardwareMissing(virtualHardware({ uefi: true, tpm: true }), noOvmf) ?? "", /no OVMF/);
});

test("a variable store is the template's copy, and a failed copy leaves nothing", async () => {
  const target = join(dir, "efivars.fd");
  await makeVarStore(debianOvmf.secureBootVars, target);
  assert.deepEqual(readFileSync(target), readFileSync(debianOvmf.secureBootVars));
  const missing = join(dir, "other.fd");
  await assert.rejects(makeVarStore(join(dir, "no-template.fd"), missing));
  assert.equal(existsSync(missing), false);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes("creating")),
    [],
  );
});
