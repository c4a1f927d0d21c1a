// The seed document's registration commands and the generated .install.sh,
// run as a user runs them (bash, vdc-manage on the PATH), then read back.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { installScript } from "../../src/imagebuild/install-script.js";
import { run, vdcManage } from "../helpers/cli.js";
import { commandsOnPath, repoRoot } from "../helpers/paths.js";
import { backends, freshStore, type TestStore } from "../helpers/stores.js";

const bin = commandsOnPath();
const withPath = (env: NodeJS.ProcessEnv) => ({ ...env, PATH: `${bin}:${process.env.PATH}` });

async function showJson(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = await vdcManage([...args, "--json"], env);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  return JSON.parse(r.stdout);
}

/** What the seed's commands registered, as every test below expects to read it back. */
async function assertSeedImageRegistered(env: NodeJS.ProcessEnv) {
  const bo = await showJson(env, "backupobject", "show", "bo-windows2008r2");
  assert.equal(bo.account_id, "a-shpoolxx");
  assert.equal(bo.backup_storage_id, "bkst-local");
  assert.equal(bo.display_name, "windows2008r2 30G");
  assert.equal(bo.object_key, "windows2008r2.x86_64.kvm.md.raw.tar.gz");
  assert.equal(bo.container_format, "tgz");
  assert.equal(bo.size, 32212254720);
  assert.equal(bo.allocation_size, 3050428633);
  assert.equal(bo.checksum, "17c696598a69760ac1110f1418b1bbea");

  const image = await showJson(env, "image", "show", "wmi-windows2008r2");
  assert.equal(image.backup_object_id, "bo-windows2008r2");
  assert.equal(image.arch, "x86_64");
  assert.equal(image.description, "windows2008r2.x86_64.kvm.md.raw.tar.gz local");
  assert.equal(image.file_format, "raw");
  assert.equal(image.root_device, "label:root");
  assert.equal(image.service_type, "std");
  assert.equal(image.display_name, "windows2008r2 30G");
  assert.equal(image.is_public, true);
  assert.equal(image.is_cacheable, true);
  assert.deepEqual(image.features, { virtio: true });
  assert.equal(image.os_type, "windows");
}

for (const backend of backends) {
  describe(`seed commands on ${backend}`, () => {
    let t: TestStore;
    before(async () => {
      t = await freshStore(backend);
    });
    after(() => t.dispose());

    test("the seed's five vdc-manage commands run verbatim and register what they say", async () => {
      const r = await run("bash", [join(repoRoot, "test/fixtures/seed-registration.sh")], withPath(t.env));
      assert.equal(r.stderr, "");
      assert.equal(r.code, 0);
      assert.deepEqual(r.stdout.trim().split("\n"), ["hn-demo1", "bo-windows2008r2", "wmi-windows2008r2"]);

      const host = await showJson(t.env, "host", "show", "hn-demo1");
      assert.equal(host.node_id, "hva.demo1");
      assert.equal(host.display_name, "demo HVA 1");
      assert.equal(host.offering_cpu_cores, 100);
      assert.equal(host.offering_memory_size, 10240);
      assert.equal(host.hypervisor, "kvm");
      assert.equal(host.arch, "x86_64");
      assert.equal(host.offering_disk_space_mb, 102400);
      assert.equal(host.scheduling_enabled, true);
      await assertSeedImageRegistered(t.env);
    });

    test("the text listings show the registered image", async () => {
      const r = await vdcManage(["image", "show", "wmi-windows2008r2"], t.env);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^OS Type: windows$/m);
      assert.match(r.stdout, /^Features: virtio$/m);
      const list = await vdcManage(["backupobject", "show"], t.env);
      assert.match(list.stdout, /bo-windows2008r2\s+a-shpoolxx\s+32212254720\s+17c6965/);
    });
  });

  describe(`.install.sh on ${backend}`, () => {
    let t: TestStore;
    let script: string;
    before(async () => {
      t = await freshStore(backend);
      script = join(t.home, "windows2008r2.x86_64.kvm.md.raw.tar.gz.install.sh");
      writeFileSync(
        script,
        installScript({
          name: "windows2008r2",
          objectKey: "windows2008r2.x86_64.kvm.md.raw.tar.gz",
          containerFormat: "tgz",
          fileFormat: "raw",
          size: 32212254720,
          allocationSize: 3050428633,
          checksum: "17c696598a69760ac1110f1418b1bbea",
        }),
      );
    });
    after(() => t.dispose());

    test("'bash IMAGE.install.sh backupobject image' registers the image as the four seed commands do", async () => {
      const r = await run("bash", [script, "backupobject", "image"], withPath(t.env));
      assert.equal(r.stderr, "");
      assert.equal(r.code, 0);
      await assertSeedImageRegistered(t.env);
    });

    test("running it again is refused by vdc-manage and changes nothing", async () => {
      const before = await t.snapshot();
      const r = await run("bash", [script, "backupobject"], withPath(t.env));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /backup object 'bo-windows2008r2' exists already/);
      assert.equal(await t.snapshot(), before);
    });

    test("an unknown part is refused", async () => {
      const r = await run("bash", [script, "images"], withPath(t.env));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown part 'images': use backupobject, image, or both/);
    });

    test("a UEFI image's script registers its firmware features", async () => {
      const uefi = join(t.home, "win11.install.sh");
      writeFileSync(
        uefi,
        installScript({
          name: "win11",
          objectKey: "win11.x86_64.kvm.md.raw.tar.gz",
          containerFormat: "tgz",
          fileFormat: "raw",
          size: 68719476736,
          allocationSize: 9000000000,
          checksum: "0123456789abcdef0123456789abcdef",
          features: ["virtio", "uefi", "secure_boot", "tpm"],
        }),
      );
      const r = await run("bash", [uefi], withPath(t.env));
      assert.equal(r.stderr, "");
      const image = JSON.parse((await vdcManage(["image", "show", "wmi-win11", "--json"], t.env)).stdout);
      assert.deepEqual(image.features, { virtio: true, uefi: true, secure_boot: true, tpm: true });
    });
  });
}
