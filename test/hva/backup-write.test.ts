// Writing a backup with real files, qemu-img and a real WebDAV server
// (nginx's DAV module): an overlay over its image flattened into one sparse
// disk, packed with a UEFI variable store beside it, its md5 the file's; the
// image cache gets back the same disk and the same store from a file://
// storage and from WebDAV; a storage that cannot take it leaves nothing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeBackup } from "../../src/hva/backup/write-backup.js";
import { ImageCache } from "../../src/hva/image-cache.js";
import { freePort } from "../helpers/net.js";
import { tempDir } from "../helpers/paths.js";
import { nginxMissing, type WebDav, webDav } from "../helpers/webdav.js";

const dir = tempDir("backup-write");
const base = join(dir, "image.raw");
const overlay = join(dir, "disk.qcow2");
const efiVars = join(dir, "efivars.fd");
const flat = join(dir, "expected.raw");
let dav: WebDav | undefined;

before(async () => {
  // The cached image: 32 MiB, data in two places; the guest wrote since over one and beside it.
  const fd = openSync(base, "w");
  for (const at of [1, 20]) writeSync(fd, Buffer.alloc(1 << 20, at), 0, 1 << 20, at << 20);
  closeSync(fd);
  execFileSync("truncate", ["-s", "32M", base]);
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", base, overlay]);
  const writes = ["-c", "write -P 0x5a 1M 64k", "-c", "write -P 0x33 8M 1M"];
  execFileSync("qemu-io", ["-f", "qcow2", ...writes, overlay], { stdio: "ignore" });
  execFileSync("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", overlay, flat]);
  // A variable store as an instance's own: OVMF's, with its boot entries written since (some bytes changed).
  const vars = Buffer.from(readFileSync("/usr/share/OVMF/OVMF_VARS_4M.fd"));
  vars.write("Boot0001 wakame", 0x2000, "utf16le");
  execFileSync("sh", ["-c", `cat > "${efiVars}"`], { input: vars });
  if (!nginxMissing) dav = await webDav(join(dir, "dav"));
});
after(async () => {
  await dav?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (file: string) => createHash("md5").update(readFileSync(file)).digest("hex");

async function backupAndFetch(storageUri: string, key: string, from = overlay) {
  const progress: number[] = [];
  const work = join(dir, `work-${key}`);
  const written = await writeBackup({
    disk: { file: from, format: "qcow2" },
    efiVars,
    target: { storage_uri: storageUri, object_key: key },
    work,
    progress: (p) => progress.push(p),
  });
  assert.equal(existsSync(work), false, "the work directory goes");
  const cache = new ImageCache(join(dir, `cache-${key}`));
  const bo = {
    id: `bo-${key.slice(0, 8)}`,
    storage_uri: storageUri,
    object_key: key,
    container_format: "tgz" as const,
    checksum: written.checksum,
    allocation_size: written.allocationSize,
  };
  const disk = await cache.get(bo);
  return { written, progress, disk, vars: cache.efiVarsOf(bo) };
}

test("into a file:// storage: the flattened disk and its variable store, packed as a sparse tgz with its md5", async () => {
  const storage = join(dir, "storage");
  execFileSync("mkdir", ["-p", storage]);
  const { written, progress, disk, vars } = await backupAndFetch(`file://${storage}/`, "bo-local.raw.tar.gz");
  const stored = join(storage, "bo-local.raw.tar.gz");
  assert.deepEqual(readdirSync(storage), ["bo-local.raw.tar.gz"], "no temporary file left");
  assert.equal(written.checksum, md5(stored));
  assert.equal(written.allocationSize, statSync(stored).size);
  assert.equal(written.size, 32 << 20);
  assert.deepEqual(execFileSync("tar", ["-tzf", stored], { encoding: "utf8" }).trim().split("\n"), [
    "disk.raw",
    "efivars.fd",
  ]);
  assert.ok(written.allocationSize < 1 << 20, `holes are not packed (${written.allocationSize} bytes)`);
  assert.equal(md5(disk), md5(flat), "the cache unpacks the disk the instance had");
  assert.ok(statSync(disk).blocks * 512 < 8 << 20, "and keeps it sparse");
  assert.equal(md5(vars!), md5(efiVars), "and its variable store beside it");
  assert.ok(
    progress.every((p, i) => p >= 0 && p <= 90 && (i === 0 || p >= progress[i - 1]!)),
    `${progress}`,
  );
});

test("a disk whose map does not say where its data is (compressed clusters) is flattened first: the same disk", async () => {
  const compressed = join(dir, "compressed.qcow2");
  execFileSync("qemu-img", ["convert", "-c", "-f", "qcow2", "-O", "qcow2", overlay, compressed]);
  const storage = join(dir, "storage-flattened");
  execFileSync("mkdir", ["-p", storage]);
  const { written, progress, disk } = await backupAndFetch(
    `file://${storage}/`,
    "bo-flat.raw.tar.gz",
    compressed,
  );
  assert.equal(md5(disk), md5(flat));
  assert.equal(written.size, 32 << 20);
  assert.ok(
    progress.some((p) => p > 0 && p <= 40),
    `the copy has its share of the progress: ${progress}`,
  );
});

test("into a WebDAV storage (nginx): sent by PUT, fetched back by GET", { skip: nginxMissing }, async () => {
  const uri = `http://127.0.0.1:${dav!.port}/backups/`;
  const { written, progress, disk, vars } = await backupAndFetch(uri, "bo-dav.raw.tar.gz");
  assert.deepEqual(dav!.stored(), ["bo-dav.raw.tar.gz"]);
  assert.equal(written.checksum, md5(join(dav!.root, "backups", "bo-dav.raw.tar.gz")));
  assert.equal(md5(disk), md5(flat));
  assert.equal(md5(vars!), md5(efiVars));
  assert.equal(progress.at(-1), 100, "the upload ends the progress");
});

test("a storage that cannot take it: the error, and nothing left behind", async () => {
  const work = join(dir, "work-refused");
  const closed = await freePort();
  await assert.rejects(
    writeBackup({
      disk: { file: overlay, format: "qcow2" },
      efiVars: null,
      target: { storage_uri: `http://127.0.0.1:${closed}/backups/`, object_key: "bo-refused.raw.tar.gz" },
      work,
      progress: () => {},
    }),
    /cannot PUT http:\/\/127\.0\.0\.1:\d+\/backups\/bo-refused\.raw\.tar\.gz: ECONNREFUSED/,
  );
  assert.equal(existsSync(work), false);
  const missing = join(dir, "no-such-dir");
  await assert.rejects(
    writeBackup({
      disk: { file: overlay, format: "qcow2" },
      efiVars: null,
      target: { storage_uri: `file://${missing}/`, object_key: "bo-x.raw.tar.gz" },
      work,
      progress: () => {},
    }),
    /ENOENT/,
  );
  assert.equal(existsSync(missing), false);
});
