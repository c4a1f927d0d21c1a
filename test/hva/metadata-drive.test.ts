// The metadata drive, written with mtools and read back by mtools, blkid and
// the MBR bytes, as a guest would find it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  deleteMetadataFile,
  listMetadataFiles,
  metadataDriveSize,
  readMetadataFile,
  writeMetadataDrive,
} from "../../src/hva/metadata-drive.js";
import { type MetadataContent, metadataPaths } from "../../src/model/guest-protocol.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("metadata");
after(() => rmSync(dir, { recursive: true, force: true }));

const content: MetadataContent = {
  instanceId: "i-mrdw5pcf",
  hostname: "mrdw5pcf",
  interfaces: [
    {
      mac: "52:54:00:11:A0:5B",
      ipv4: "10.0.2.100",
      netmask: "255.255.255.0",
      gateway: "10.0.2.2",
      dns: "10.0.2.3",
    },
  ],
  publicKey: "ssh-rsa AAAAB3NzaC1yc2E me@host\n",
  firstBoot: true,
  enableFirewall: false,
  autoActivate: { proxy: "10.0.0.1:3128", kmsHost: "kms.example.com:1688" },
  productKey: "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2",
  retryGenPassword: 10,
  extraHosts: { "wakame.example": "10.0.2.2" },
  userData: Buffer.from([0, 1, 2, 255]),
};

test("the drive has an MBR partition at 1 MiB holding a FAT16 filesystem labelled METADATA", async () => {
  const file = join(dir, "md.img");
  await writeMetadataDrive(file, content);
  const bytes = readFileSync(file);
  assert.equal(bytes.length, metadataDriveSize);
  assert.equal(bytes.readUInt16LE(510), 0xaa55);
  assert.equal(bytes[446 + 4], 0x0e);
  assert.equal(bytes.readUInt32LE(446 + 8), 2048);
  const probe = execFileSync("blkid", ["-p", "-O", "1048576", "-o", "export", file]).toString();
  assert.match(probe, /^LABEL=METADATA$/m);
  assert.match(probe, /^TYPE=vfat$/m);
  assert.match(probe, /^VERSION=FAT16$/m);
  assert.deepEqual(readdirSync(dir), ["md.img"], "no temporary file is left beside it");
});

test("every file of the protocol is there with its value; reads trim to the value", async () => {
  const file = join(dir, "md.img");
  const read = async (path: string) => (await readMetadataFile(file, path))?.toString();
  assert.equal(await read(metadataPaths.firstBoot), "");
  assert.equal(await read(metadataPaths.instanceId), "i-mrdw5pcf\n");
  assert.equal(await read(metadataPaths.localHostname), "mrdw5pcf\n");
  assert.equal(await read(metadataPaths.localIpv4), "10.0.2.100\n");
  assert.equal(await read(metadataPaths.publicKey), "ssh-rsa AAAAB3NzaC1yc2E me@host\n");
  const nic = "meta-data/network/interfaces/macs/52-54-00-11-a0-5b";
  assert.equal(await read(`${nic}/local-ipv4s`), "10.0.2.100\n");
  assert.equal(await read(`${nic}/x-netmask`), "255.255.255.0\n");
  assert.equal(await read(`${nic}/x-gateway`), "10.0.2.2\n");
  assert.equal(await read(`${nic}/x-dns`), "10.0.2.3\n");
  assert.equal(await read("meta-data/extra-hosts/wakame.example"), "10.0.2.2\n");
  assert.equal(await read(metadataPaths.autoActivateProxy), "10.0.0.1:3128\n");
  assert.equal(await read(metadataPaths.retryGenPassword), "10\n");
  assert.deepEqual(await readMetadataFile(file, metadataPaths.userData), Buffer.from([0, 1, 2, 255]));
  assert.equal(await read(metadataPaths.enableFirewall), undefined);
  assert.equal(await read(metadataPaths.encryptedPassword), undefined);
  const listed = await listMetadataFiles(file);
  assert.ok(listed.includes("meta-data/public-keys/0/openssh-key"), listed.join(","));
});

test("the host reads the guest's pw.enc byte for byte and deletes first-boot", async () => {
  const file = join(dir, "md.img");
  const cipher = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) % 256));
  const local = join(dir, "pw.enc");
  execFileSync("sh", ["-c", 'cat > "$1"', "sh", local], { input: cipher });
  // What the guest does, with the same tools a Linux guest could use.
  execFileSync("mcopy", ["-i", `${file}@@1048576`, local, "::meta-data/pw.enc"], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  rmSync(local);
  assert.deepEqual(await readMetadataFile(file, metadataPaths.encryptedPassword), cipher);
  await deleteMetadataFile(file, metadataPaths.firstBoot);
  assert.equal(await readMetadataFile(file, metadataPaths.firstBoot), undefined);
  await deleteMetadataFile(file, metadataPaths.firstBoot);
});

test("without first boot, firewall on and no activation, those files are absent or present as the protocol says", async () => {
  const file = join(dir, "later.img");
  await writeMetadataDrive(file, {
    ...content,
    firstBoot: false,
    enableFirewall: true,
    autoActivate: null,
    userData: null,
  });
  assert.equal(await readMetadataFile(file, metadataPaths.firstBoot), undefined);
  assert.deepEqual(await readMetadataFile(file, metadataPaths.enableFirewall), Buffer.alloc(0));
  assert.equal(await readMetadataFile(file, metadataPaths.autoActivateProxy), undefined);
  assert.equal(await readMetadataFile(file, metadataPaths.userData), undefined);
});
