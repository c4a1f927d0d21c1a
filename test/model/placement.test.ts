import assert from "node:assert/strict";
import { test } from "node:test";
import { capabilitiesLacking, unreportedCapabilities } from "../../src/model/host-capabilities.js";
import { virtualHardware } from "../../src/model/image-features.js";
import { chooseHost, type HostCapacity } from "../../src/model/placement.js";

const host = (id: string, over: Partial<HostCapacity> = {}): HostCapacity => ({
  id,
  hypervisor: "kvm",
  arch: "x86_64",
  scheduling_enabled: true,
  offering_cpu_cores: 8,
  offering_memory_size: 8192,
  used_cpu_cores: 0,
  used_memory_size: 0,
  capabilities: unreportedCapabilities,
  ...over,
});
const need = { hypervisor: "kvm", arch: "x86_64", cpu_cores: 2, memory_size: 4096 };

test("the fitting host with the most free memory wins; ties by uuid", () => {
  const choice = chooseHost([host("hn-b"), host("hn-a"), host("hn-c", { used_memory_size: 1024 })], need);
  assert.deepEqual("host" in choice && choice.host.id, "hn-a");
});

test("full, disabled, other-hypervisor and other-arch hosts are passed over", () => {
  const hosts = [
    host("hn-full", { used_cpu_cores: 7 }),
    host("hn-off", { scheduling_enabled: false }),
    host("hn-arch", { arch: "x86" }),
    host("hn-ok", { used_memory_size: 4096 }),
  ];
  const choice = chooseHost(hosts, need);
  assert.equal("host" in choice && choice.host.id, "hn-ok");
});

test("no fit says why", () => {
  const full = chooseHost([host("hn-a", { used_memory_size: 6000 })], need);
  assert.match("reason" in full ? full.reason : "", /no host node has room for 2 cpu cores and 4096 MB/);
  const none = chooseHost([host("hn-a", { arch: "x86" })], need);
  assert.match(
    "reason" in none ? none.reason : "",
    /no kvm\/x86_64 host node takes instances \(needed: 2 cpu cores and 4096 MB on a kvm\/x86_64 host\): add one with 'vdc-manage host add'/,
  );
});

test("a named host is the only candidate", () => {
  const choice = chooseHost([host("hn-a"), host("hn-b", { used_cpu_cores: 8 })], {
    ...need,
    host_node_id: "hn-b",
  });
  assert.ok("reason" in choice);
});

test("an image's firmware and TPM go only where the host reported them; none capable says what is lacking", () => {
  const full = { kvm: false, uefi: true, secure_boot: true, tpm: true, cpu_model: "Nehalem" };
  const hosts = [
    host("hn-bios", { used_memory_size: 0 }),
    host("hn-uefi", { used_memory_size: 2048, capabilities: { ...full, tpm: false } }),
    host("hn-all", { used_memory_size: 4096, capabilities: full }),
  ];
  const pick = (features: Record<string, boolean>) => {
    const choice = chooseHost(hosts, { ...need, hardware: virtualHardware(features) });
    return "host" in choice ? choice.host.id : choice.reason;
  };
  assert.equal(pick({}), "hn-bios", "BIOS runs anywhere: the most free memory wins");
  assert.equal(pick({ uefi: true }), "hn-uefi");
  assert.equal(pick({ uefi: true, secure_boot: true }), "hn-uefi");
  assert.equal(pick({ uefi: true, secure_boot: true, tpm: true }), "hn-all");
  assert.equal(pick({ tpm: true }), "hn-all");
  const none = chooseHost([host("hn-bios")], {
    ...need,
    hardware: virtualHardware({ uefi: true, tpm: true }),
  });
  assert.ok("reason" in none);
  assert.match(
    none.reason,
    /no host node can run its image, which needs UEFI firmware \(OVMF\) and a TPM 2.0 \(swtpm\): install it on a host/,
  );
  const full4 = chooseHost([host("hn-all", { used_memory_size: 8192, capabilities: full })], {
    ...need,
    hardware: virtualHardware({ uefi: true }),
  });
  assert.ok(
    "reason" in full4 && /no host node has room/.test(full4.reason),
    "capable but full: room is the reason",
  );
});

test("what a host lacks for an image, in words", () => {
  const hw = virtualHardware({ uefi: true, secure_boot: true, tpm: true });
  assert.deepEqual(capabilitiesLacking(unreportedCapabilities, hw), [
    "UEFI firmware (OVMF)",
    "Secure Boot (OVMF's variable store template)",
    "a TPM 2.0 (swtpm)",
  ]);
  assert.deepEqual(capabilitiesLacking(unreportedCapabilities, virtualHardware({ virtio: true })), []);
});
