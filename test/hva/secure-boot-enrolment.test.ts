// Keys enrolled by our own variable store writer (src/model/uefi-variable-store.ts)
// into Debian's blank OVMF store, proven on real OVMF (QEMU, TCG): a PK, KEK
// and db made with openssl; a boot loader (Debian's signed GRUB) signed again
// with the db key (sbsigntool) boots; signed with another key, the firmware
// refuses it ("Access Denied") and its own unsigned shell too.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { secureBootVariables, writeVariableStore } from "../../src/model/uefi-variable-store.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("secure-boot-enrolment");
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);
const grub = "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed";

/** A self-signed certificate and its key, made with openssl; the certificate's DER. */
function certificate(name: string): Buffer {
  execFileSync(
    "openssl",
    [
      ...["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650"],
      ...["-subj", `/CN=wakame-ts test ${name}/`, "-keyout", at(`${name}.key`), "-out", at(`${name}.pem`)],
    ],
    { stdio: "ignore" },
  );
  return execFileSync("openssl", ["x509", "-in", at(`${name}.pem`), "-outform", "DER"]);
}

/** A GPT disk whose EFI system partition holds `loader` as the removable-media boot path, EFI/BOOT/BOOTX64.EFI. */
function espDisk(name: string, loader: string): string {
  const disk = at(`${name}.raw`);
  const fat = at(`${name}.fat`);
  writeFileSync(disk, Buffer.alloc(32 << 20));
  execFileSync("sfdisk", ["-q", disk], {
    input: "label: gpt\nstart=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n",
  });
  const sectors = String((31 << 20) / 512 - 34);
  execFileSync("mformat", ["-C", "-i", fat, "-T", sectors, "-h", "64", "-s", "32", "::"]);
  execFileSync("mmd", ["-i", fat, "::/EFI", "::/EFI/BOOT"]);
  execFileSync("mcopy", ["-i", fat, loader, "::/EFI/BOOT/BOOTX64.EFI"]);
  execFileSync("dd", [`if=${fat}`, `of=${disk}`, "bs=1M", "seek=1", "conv=notrunc", "status=none"]);
  return disk;
}

/** Boots OVMF on `vars` and `disk` until its console shows one of `ends`; what it showed. */
async function bootUntil(vars: string, disk: string, ends: RegExp): Promise<string> {
  const serial = `${disk}.serial`;
  const qemu = spawn("qemu-system-x86_64", [
    ...["-accel", "tcg", "-machine", "q35,smm=on", "-m", "512", "-nodefaults", "-display", "none"],
    ...["-global", "driver=cfi.pflash01,property=secure,value=on"],
    ...["-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${debianOvmf.code}`],
    ...["-drive", `if=pflash,format=raw,unit=1,file=${vars}`],
    ...["-drive", `file=${disk},format=raw,if=none,id=d0`, "-device", "virtio-blk-pci,drive=d0,bootindex=1"],
    ...["-serial", `file:${serial}`],
  ]);
  try {
    for (let i = 0; i < 240; i++) {
      const said = existsSync(serial) ? readFileSync(serial, "latin1") : "";
      if (ends.test(said)) return said;
      await sleep(500);
    }
    return assert.fail(
      `OVMF's console never showed ${ends}: ${existsSync(serial) ? readFileSync(serial, "latin1") : ""}`,
    );
  } finally {
    qemu.kill("SIGKILL");
  }
}

test("a loader signed with the enrolled db key boots; one signed with another key is refused", async () => {
  const keys = { pk: certificate("pk"), kek: [certificate("kek")], db: [certificate("db")] };
  certificate("other");
  const store = writeVariableStore(readFileSync(debianOvmf.emptyVars), secureBootVariables(keys));
  for (const signer of ["db", "other"])
    execFileSync(
      "sbsign",
      [
        ...["--key", at(`${signer}.key`), "--cert", at(`${signer}.pem`)],
        ...["--output", at(`grub-${signer}.efi`), grub],
      ],
      { stdio: "ignore" },
    );

  writeFileSync(at("trusted.fd"), store);
  const trusted = await bootUntil(
    at("trusted.fd"),
    espDisk("trusted", at("grub-db.efi")),
    /grub> |Access Denied/,
  );
  assert.match(trusted, /Welcome to GRUB!/);

  writeFileSync(at("refused.fd"), store);
  const refused = await bootUntil(
    at("refused.fd"),
    espDisk("refused", at("grub-other.efi")),
    /No bootable option or device was found/,
  );
  assert.match(refused, /failed to load Boot\d+ "UEFI Misc Device" .*: Access Denied/);
  assert.match(
    refused,
    /"EFI Internal Shell".*Security Violation/,
    "the firmware's own unsigned shell is refused too",
  );
  assert.doesNotMatch(refused, /GRUB/);
});
