import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  chooseAccelerator,
  kernelBoots,
  kvmDeviceUsable,
  probeOncePerBoot,
} from "../../src/qemu/accelerator.js";
import { ensureTestGuest } from "../../src/testguest/build.js";
import { tempDir } from "../helpers/paths.js";

const probe = (deviceUsable: boolean, boots: boolean | null) => ({
  deviceUsable: async () => deviceUsable,
  boots: async () => boots,
});

test("auto takes KVM only when the device is there and a guest really boots under it", async () => {
  assert.deepEqual(await chooseAccelerator("auto", probe(true, true)), {
    accel: "kvm",
    why: "a probe guest booted under KVM",
  });
  assert.equal((await chooseAccelerator("auto", probe(true, false))).accel, "tcg");
  assert.match((await chooseAccelerator("auto", probe(true, false))).why, /did not boot under it/);
  assert.equal((await chooseAccelerator("auto", probe(false, true))).accel, "tcg");
  // An installed package has no probe guest: a usable device is taken, and the log says how to refuse it.
  assert.deepEqual(await chooseAccelerator("auto", probe(true, null)), {
    accel: "kvm",
    why: "/dev/kvm is usable (not probed: this install has no probe guest; set accelerator = tcg if guests hang)",
  });
  assert.equal((await chooseAccelerator("auto", probe(false, null))).accel, "tcg");
  assert.equal((await chooseAccelerator("tcg", probe(true, true))).accel, "tcg");
  assert.equal((await chooseAccelerator("kvm", probe(true, false))).accel, "kvm");
  await assert.rejects(
    chooseAccelerator("kvm", probe(false, false)),
    /\/dev\/kvm is missing or not usable; use auto or tcg/,
  );
});

test("the probe boots the test guest's kernel to userspace under TCG, and says so", async () => {
  const guest = await ensureTestGuest();
  assert.equal(await kernelBoots("tcg", guest.kernel, guest.initrd, 60_000), true);
});

test("on this machine, the KVM probe answers within its time limit either way", async () => {
  const guest = await ensureTestGuest();
  const started = Date.now();
  const boots = (await kvmDeviceUsable()) && (await kernelBoots("kvm", guest.kernel, guest.initrd, 15_000));
  assert.equal(typeof boots, "boolean");
  assert.ok(Date.now() - started < 20_000);
});

test("the KVM probe runs once per boot of the machine; a kept answer from another boot is probed again", async () => {
  const dir = tempDir("probe");
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "kvm-probe.json");
  let probes = 0;
  const probe = async () => {
    probes++;
    return false;
  };
  assert.equal(await probeOncePerBoot(file, probe), false);
  assert.equal(await probeOncePerBoot(file, probe), false);
  assert.equal(probes, 1);
  const kept = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, JSON.stringify({ ...kept, bootId: "an-earlier-boot", boots: true }));
  assert.equal(await probeOncePerBoot(file, probe), false);
  assert.equal(probes, 2);
});
