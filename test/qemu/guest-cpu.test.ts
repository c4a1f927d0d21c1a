// The CPU a VM shows its guest: the model, and Hyper-V enlightenments for
// Windows under KVM only; the defaults per accelerator, and "host" refused under TCG.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuModelProblem, defaultCpuModel } from "../../src/model/cpu-model.js";
import { cpuOption, hypervEnlightenments } from "../../src/qemu/guest-cpu.js";

test("Windows under KVM gets every enlightenment, each after what it needs; nothing else gets any", () => {
  const kvmWindows = cpuOption({ accel: "kvm", model: "host", windows: true }).split(",");
  assert.equal(kvmWindows[0], "host");
  assert.deepEqual(kvmWindows.slice(1), [...hypervEnlightenments]);
  for (const flag of ["hv-relaxed", "hv-vapic", "hv-spinlocks=0x1fff", "hv-time", "hv-stimer", "hv-reset"])
    assert.ok(kvmWindows.includes(flag), flag);
  const at = (flag: string) => kvmWindows.indexOf(flag);
  assert.ok(
    at("hv-vpindex") < at("hv-synic") && at("hv-synic") < at("hv-stimer") && at("hv-time") < at("hv-stimer"),
  );
  assert.ok(at("hv-vpindex") < at("hv-tlbflush") && at("hv-vpindex") < at("hv-ipi"));
  assert.equal(cpuOption({ accel: "tcg", model: "Nehalem", windows: true }), "Nehalem", "KVM's, not TCG's");
  assert.equal(cpuOption({ accel: "kvm", model: "host", windows: false }), "host");
});

test("the default CPU: the host's own under KVM, an x86-64-v2 model under TCG; host under TCG refused", () => {
  assert.equal(defaultCpuModel("kvm"), "host");
  assert.equal(defaultCpuModel("tcg"), "Nehalem");
  assert.match(
    cpuModelProblem("host", "tcg") ?? "",
    /needs KVM: this host runs VMs on TCG \(give a named model such as Nehalem\)/,
  );
  assert.equal(cpuModelProblem("host", "kvm"), null);
  assert.equal(cpuModelProblem("Skylake-Server-v4", "tcg"), null);
});
