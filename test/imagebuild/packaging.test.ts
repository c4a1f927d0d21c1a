// Steps 26-28 on a build directory holding only LABEL, WINIMG, timestamp and
// the image (as for an image installed some other way): the outputs of
// image-build.md, checked with the tools users would check them with.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BuildDir } from "../../src/imagebuild/build-dir.js";
import { hostDriver } from "../../src/imagebuild/host-driver.js";
import { makeSimpleTarOfImage } from "../../src/imagebuild/steps/26-make-simple-tar-of-image.js";
import { packageToWakameTgzImage } from "../../src/imagebuild/steps/27-package-to-wakame-tgz-image.js";
import { packageToWakameQcow2Image } from "../../src/imagebuild/steps/28-package-to-wakame-qcow2-image.js";
import { stepContext } from "../../src/imagebuild/steps/context.js";
import { vdcManage } from "../helpers/cli.js";
import { labelOf, ntfsDisk } from "../helpers/ntfs.js";
import { commandsOnPath, tempDir } from "../helpers/paths.js";
import { freshStore, type TestStore } from "../helpers/stores.js";

const dir = tempDir("packaging");
const final = join(dir, "final-seed-image");
const said: string[] = [];
const ctx = stepContext(new BuildDir(dir), (line) => said.push(line), {
  workspace: dir,
  env: {},
  driver: hostDriver(),
});
let store: TestStore;

before(async () => {
  writeFileSync(join(dir, "LABEL"), "2008\n");
  writeFileSync(join(dir, "WINIMG"), "win-2008.raw\n");
  writeFileSync(join(dir, "timestamp"), "261124-101500\n");
  ntfsDisk(join(dir, "win-2008.raw"), "Windows", 256);
  // Some data in the partition, past NTFS's own structures.
  execFileSync("dd", [
    "if=/dev/urandom",
    `of=${join(dir, "win-2008.raw")}`,
    "bs=1M",
    "seek=200",
    "count=40",
    "conv=notrunc",
    "status=none",
  ]);
  store = await freshStore("sqlite");
});
after(async () => {
  await store.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("the three steps make exactly the files of image-build.md, and md5sum -c accepts every .md5", async () => {
  await makeSimpleTarOfImage(ctx);
  execFileSync("md5sum", ["-c", "win-2008.raw.md5"], { cwd: dir });
  assert.deepEqual(
    execFileSync("tar", ["-tzf", join(dir, "windows-2008-261124-101500.tar.gz")])
      .toString()
      .split("\n")
      .filter(Boolean),
    ["win-2008.raw", "win-2008.raw.md5"],
  );
  await packageToWakameTgzImage(ctx);
  await packageToWakameQcow2Image(ctx);
  assert.deepEqual(readdirSync(final).sort(), [
    "win-2008.raw.md5",
    "windows2008r2.x86_64.15071.qcow2.gz",
    "windows2008r2.x86_64.15071.qcow2.gz.md5",
    "windows2008r2.x86_64.15071.qcow2.md5",
    "windows2008r2.x86_64.kvm.md.raw",
    "windows2008r2.x86_64.kvm.md.raw.tar.gz",
    "windows2008r2.x86_64.kvm.md.raw.tar.gz.install.sh",
    "windows2008r2.x86_64.kvm.md.raw.tar.gz.md5",
  ]);
  execFileSync(
    "md5sum",
    ["-c", "windows2008r2.x86_64.kvm.md.raw.tar.gz.md5", "windows2008r2.x86_64.15071.qcow2.gz.md5"],
    { cwd: final },
  );
  assert.ok(
    said.some((l) => /packing win-2008.raw: 100%/.test(l)),
    "progress is shown",
  );
  // Each step compresses only what the step before did not: step 27 anew
  // only the piece that the label changed.
  assert.ok(
    said.includes("1 of 2 compressed pieces reused from windows-2008-261124-101500.tar.gz"),
    said.join("\n"),
  );
  assert.ok(said.includes("2 of 2 compressed pieces reused from windows2008r2.x86_64.kvm.md.raw.tar.gz"));
});

test("the seed image: partition 1 labelled root, the installed image untouched, GNU tar gives it back byte for byte", () => {
  const raw = join(final, "windows2008r2.x86_64.kvm.md.raw");
  assert.equal(labelOf(raw), "root");
  assert.equal(labelOf(join(dir, "win-2008.raw")), "Windows");
  const into = join(dir, "untar");
  mkdirSync(into);
  execFileSync("tar", ["-xzf", join(final, "windows2008r2.x86_64.kvm.md.raw.tar.gz"), "-C", into]);
  execFileSync("cmp", [raw, join(into, "windows2008r2.x86_64.kvm.md.raw")]);
});

test("the qcow2: qemu-img check passes and it holds the same disk as the raw; its .md5 is of the uncompressed file", () => {
  const qcow2 = join(dir, "check.qcow2");
  execFileSync("bash", [
    "-c",
    `gunzip -c '${join(final, "windows2008r2.x86_64.15071.qcow2.gz")}' > '${qcow2}'`,
  ]);
  execFileSync("qemu-img", ["check", "-q", qcow2]);
  execFileSync("qemu-img", [
    "compare",
    "-q",
    "-f",
    "qcow2",
    "-F",
    "raw",
    qcow2,
    join(final, "windows2008r2.x86_64.kvm.md.raw"),
  ]);
  const [sum] = readFileSync(join(final, "windows2008r2.x86_64.15071.qcow2.md5"), "utf8").split(" ");
  assert.equal(execFileSync("md5sum", [qcow2]).toString().split(" ")[0], sum);
});

test("the .install.sh registers the image with vdc-manage, with this build's sizes and checksum", async () => {
  const env = { ...store.env, PATH: `${commandsOnPath()}:${process.env.PATH}` };
  execFileSync("bash", [join(final, "windows2008r2.x86_64.kvm.md.raw.tar.gz.install.sh")], { env });
  const object = JSON.parse(
    (await vdcManage(["backupobject", "show", "bo-windows2008r2", "--json"], env)).stdout,
  );
  assert.equal(object.size, 256 << 20);
  const tar = join(final, "windows2008r2.x86_64.kvm.md.raw.tar.gz");
  assert.equal(object.checksum, execFileSync("md5sum", [tar]).toString().split(" ")[0]);
  const image = JSON.parse((await vdcManage(["image", "show", "wmi-windows2008r2", "--json"], env)).stdout);
  assert.deepEqual(
    [image.os_type, image.root_device, image.features],
    ["windows", "label:root", { virtio: true }],
  );
});

test("packaging again is refused while final-seed-image exists", async () => {
  await assert.rejects(packageToWakameTgzImage(ctx), /final-seed-image exists already/);
});
