// An image's features as virtual hardware, and the ones that cannot go together.
import assert from "node:assert/strict";
import { test } from "node:test";
import { featuresProblem, hardwareWords, virtualHardware } from "../../src/model/image-features.js";

test("features make the virtual hardware: BIOS unless UEFI; Secure Boot and a TPM only when asked", () => {
  const table: [Record<string, boolean>, ReturnType<typeof virtualHardware>, string][] = [
    [{}, { firmware: "bios", secureBoot: false, tpm: false }, "BIOS"],
    [{ virtio: true }, { firmware: "bios", secureBoot: false, tpm: false }, "BIOS"],
    [{ tpm: true }, { firmware: "bios", secureBoot: false, tpm: true }, "BIOS, TPM 2.0"],
    [{ uefi: true }, { firmware: "uefi", secureBoot: false, tpm: false }, "UEFI"],
    [
      { uefi: true, secure_boot: true, tpm: true, virtio: true },
      { firmware: "uefi", secureBoot: true, tpm: true },
      "UEFI, Secure Boot, TPM 2.0",
    ],
    [{ uefi: false, tpm: false }, { firmware: "bios", secureBoot: false, tpm: false }, "BIOS"],
  ];
  for (const [features, hardware, words] of table) {
    assert.deepEqual(virtualHardware(features), hardware, JSON.stringify(features));
    assert.equal(hardwareWords(features), words, JSON.stringify(features));
  }
});

test("Secure Boot without UEFI is refused with the options that fix it", () => {
  assert.match(featuresProblem({ secure_boot: true }) ?? "", /--secure-boot needs --uefi/);
  assert.match(
    featuresProblem({ secure_boot: true, uefi: false }) ?? "",
    /give --uefi too, or --no-secure-boot/,
  );
  assert.equal(featuresProblem({ secure_boot: true, uefi: true }), null);
  assert.equal(featuresProblem({ uefi: true, tpm: true }), null);
  assert.equal(featuresProblem({ tpm: true }), null, "a TPM works with the BIOS too (SeaBIOS's TPM 2.0)");
});
