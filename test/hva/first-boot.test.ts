// What the host does when the guest's first boot ends without a good pw.enc (step 9).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { collectPassword } from "../../src/hva/first-boot.js";
import { readMetadataFile, writeMetadataDrive } from "../../src/hva/metadata-drive.js";
import { metadataPaths } from "../../src/model/guest-protocol.js";
import { firstBootMetadata } from "../../src/testguest/client.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("firstboot");
after(() => rmSync(dir, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", join(dir, "key")]);
const publicKey = readFileSync(join(dir, "key.pub"), "utf8");

async function drive(name: string) {
  const file = join(dir, name);
  await writeMetadataDrive(file, firstBootMetadata(publicKey, { interfaces: [] }));
  return file;
}

test("no pw.enc: 'password not generated', and first-boot is gone all the same", async () => {
  const file = await drive("none.img");
  assert.deepEqual(await collectPassword(file, publicKey), {
    error: "password not generated: the guest wrote no pw.enc",
  });
  assert.equal(await readMetadataFile(file, metadataPaths.firstBoot), undefined);
});

test("a pw.enc of the wrong length for the key is refused with both lengths", async () => {
  const file = await drive("short.img");
  writeFileSync(join(dir, "pw.enc"), Buffer.alloc(256, 1));
  execFileSync("mcopy", ["-i", `${file}@@1048576`, join(dir, "pw.enc"), "::meta-data/pw.enc"], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  assert.deepEqual(await collectPassword(file, publicKey), {
    error: "password not generated: pw.enc has 256 bytes, the 3072-bit key needs 384",
  });
});
