import assert from "node:assert/strict";
import { test } from "node:test";
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
  assert.match("reason" in none ? none.reason : "", /no host node offers kvm\/x86_64/);
});

test("a named host is the only candidate", () => {
  const choice = chooseHost([host("hn-a"), host("hn-b", { used_cpu_cores: 8 })], {
    ...need,
    host_node_id: "hn-b",
  });
  assert.ok("reason" in choice);
});
