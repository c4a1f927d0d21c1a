// The image cache with real files and a real web server on loopback: every
// container format, sparse results, md5 checked, one fetch for many launches.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { type BackupObjectSource, ImageCache } from "../../src/hva/image-cache.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("images");
const storage = join(dir, "storage");
let server: Server;
let requests = 0;
let base = "";
const md5 = (file: string) => createHash("md5").update(readFileSync(file)).digest("hex");

before(async () => {
  execFileSync("mkdir", ["-p", storage]);
  // A 64 MiB disk with 3 MiB of data in three places, the rest holes.
  const raw = join(storage, "disk.raw");
  const fd = openSync(raw, "w");
  for (const at of [0, 20, 50]) writeSync(fd, Buffer.alloc(1 << 20, at + 1), 0, 1 << 20, at << 20);
  closeSync(fd);
  execFileSync("truncate", ["-s", "64M", raw]);
  execFileSync("tar", ["-C", storage, "-czSf", join(storage, "disk.raw.tar.gz"), "disk.raw"]);
  execFileSync("tar", ["-C", storage, "-cSf", join(storage, "disk.raw.tar"), "disk.raw"]);
  execFileSync("sh", ["-c", `gzip -c "${raw}" > "${raw}.gz"`]);
  server = createServer((req, res) => {
    requests++;
    createReadStream(join(storage, req.url!.slice(1)))
      .on("error", () => res.writeHead(404).end())
      .pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const source = (
  name: string,
  format: BackupObjectSource["container_format"],
  storage_uri: string,
): BackupObjectSource => ({
  id: `bo-${format}`,
  storage_uri,
  object_key: name,
  container_format: format,
  checksum: md5(join(storage, name)),
  allocation_size: statSync(join(storage, name)).size,
});

test("tgz, tar, gz and none unpack to the same bytes, and stay sparse", async () => {
  const cache = new ImageCache(join(dir, "cache-formats"));
  const original = md5(join(storage, "disk.raw"));
  for (const [name, format] of [
    ["disk.raw.tar.gz", "tgz"],
    ["disk.raw.tar", "tar"],
    ["disk.raw.gz", "gz"],
    ["disk.raw", "none"],
  ] as const) {
    const image = await cache.get(source(name, format, pathToFileURL(`${storage}/`).href));
    assert.equal(md5(image), original, format);
    const st = statSync(image);
    assert.equal(st.size, 64 << 20);
    assert.ok(st.blocks * 512 < 8 << 20, `${format}: ${st.blocks * 512} bytes allocated`);
  }
});

test("concurrent launches of one image fetch it once, over http", async () => {
  const lines: string[] = [];
  const cache = new ImageCache(join(dir, "cache-http"), (l) => lines.push(l));
  const bo = source("disk.raw.tar.gz", "tgz", `${base}/`);
  requests = 0;
  const paths = await Promise.all(Array.from({ length: 5 }, () => cache.get(bo)));
  assert.equal(requests, 1);
  assert.equal(new Set(paths).size, 1);
  assert.equal(await cache.get(bo), paths[0]);
  assert.equal(requests, 1, "a cached image is not fetched again");
  assert.ok(
    lines.some((l) => /^fetching bo-tgz: 100% /.test(l)),
    lines.join("\n"),
  );
});

test("a checksum mismatch fails with both sums and leaves nothing in the cache", async () => {
  const cacheDir = join(dir, "cache-bad");
  const cache = new ImageCache(cacheDir);
  const bo = { ...source("disk.raw.tar.gz", "tgz", `${base}/`), checksum: "0".repeat(32) };
  await assert.rejects(cache.get(bo), /image checksum mismatch for bo-tgz: expected 0{32}, got [0-9a-f]{32}/);
  assert.deepEqual(readdirSync(cacheDir), []);
  await assert.rejects(cache.get({ ...bo, object_key: "missing.tar.gz" }), /HTTP 404/);
  assert.deepEqual(readdirSync(cacheDir), []);
});

test("an object key or storage URI that leads out of the storage is refused before anything is fetched", async () => {
  const cacheDir = join(dir, "cache-hostile");
  const cache = new ImageCache(cacheDir);
  const bo = source("disk.raw.tar.gz", "tgz", pathToFileURL(`${storage}/`).href);
  requests = 0;
  for (const [change, why] of [
    [
      { object_key: "%2e%2e/%2e%2e/etc/shadow" },
      /'%2e%2e\/%2e%2e\/etc\/shadow' is refused: it has \. or \.\. in it/,
    ],
    [{ object_key: "..\\..\\etc\\shadow" }, /is refused: it holds a backslash/],
    [{ object_key: "file:///etc/shadow" }, /is refused: it names a scheme/],
    [{ object_key: "/etc/shadow" }, /is refused: it is absolute/],
    [{ object_key: "%2Fetc/shadow" }, /is refused: it is absolute/],
    [
      { storage_uri: "ftp://example.test/" },
      /storage URI 'ftp:\/\/example.test\/' is refused: its scheme is ftp/,
    ],
    [{ storage_uri: `${base}/`, object_key: "//evil.test/x" }, /is refused: it is absolute/],
  ] as const) {
    await assert.rejects(cache.get({ ...bo, ...change }), why, JSON.stringify(change));
  }
  assert.equal(requests, 0);
  assert.deepEqual(readdirSync(cacheDir), []);
});
