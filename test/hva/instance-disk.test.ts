import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { createInstanceDisk } from "../../src/hva/instance-disk.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("disks");
after(() => rmSync(dir, { recursive: true, force: true }));

function base(): string {
  const file = join(dir, "base.raw");
  const fd = openSync(file, "w");
  writeSync(fd, Buffer.alloc(1 << 20, 7), 0, 1 << 20, 5 << 20);
  closeSync(fd);
  execFileSync("truncate", ["-s", "1G", file]);
  return file;
}

test("a cacheable image gives a qcow2 overlay on the cached base, with the same contents and its own writes", () =>
  (async () => {
    const b = base();
    const disk = await createInstanceDisk(b, "raw", join(dir, "i-a.qcow2"), true);
    assert.equal(disk.format, "qcow2");
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", disk.file]).toString());
    assert.equal(info["backing-filename"], b);
    assert.equal(info["backing-filename-format"], "raw");
    assert.equal(info["virtual-size"], 1 << 30);
    assert.ok(statSync(disk.file).size < 1 << 20, "the overlay holds no data yet");
    execFileSync("qemu-img", ["compare", "-f", "qcow2", "-F", "raw", disk.file, b]);
  })());

test("an image that is not cacheable is copied, sparse, as the instance's own", async () => {
  const b = base();
  const disk = await createInstanceDisk(b, "raw", join(dir, "i-b.raw"), false);
  assert.equal(disk.format, "raw");
  execFileSync("cmp", [disk.file, b]);
  assert.ok(statSync(disk.file).blocks * 512 < 4 << 20, "holes stay holes");
});
