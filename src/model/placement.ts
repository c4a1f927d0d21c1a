// Choosing a host node for an instance (api.md, "Placement"). Pure: the
// caller reads the hosts and their usage inside the transaction that then
// records the choice.
import { capabilitiesLacking, type HostCapabilities } from "./host-capabilities.js";
import type { VirtualHardware } from "./image-features.js";

export interface HostCapacity {
  id: string;
  hypervisor: string;
  arch: string;
  scheduling_enabled: boolean;
  offering_cpu_cores: number;
  offering_memory_size: number;
  used_cpu_cores: number;
  used_memory_size: number;
  /** What its agent last reported it can give a VM. */
  capabilities: HostCapabilities;
}

export interface PlacementNeed {
  hypervisor: string;
  arch: string;
  cpu_cores: number;
  memory_size: number;
  /** Only this host, when the user named one. */
  host_node_id?: string;
  /** What the image boots on; the PC BIOS, no TPM, when not given. */
  hardware?: VirtualHardware;
}

/**
 * The host to use, or why none fits. Among fitting hosts, the one with the most
 * free memory after placement, so instances spread over hosts; ties by uuid.
 */
export function chooseHost(
  hosts: readonly HostCapacity[],
  need: PlacementNeed,
): { host: HostCapacity } | { reason: string } {
  const candidates = hosts.filter((h) => !need.host_node_id || h.id === need.host_node_id);
  const matching = candidates.filter(
    (h) => h.scheduling_enabled && h.hypervisor === need.hypervisor && h.arch === need.arch,
  );
  const lacking = (h: HostCapacity) =>
    need.hardware ? capabilitiesLacking(h.capabilities, need.hardware) : [];
  const capable = matching.filter((h) => lacking(h).length === 0);
  if (matching.length > 0 && capable.length === 0) {
    const needs = [...new Set(matching.flatMap(lacking))].join(" and ");
    return {
      reason: `no host node can run its image, which needs ${needs}: install it on a host (its hva reports what it has when it starts), or launch an image without it`,
    };
  }
  const fitting = capable.filter(
    (h) =>
      h.offering_cpu_cores - h.used_cpu_cores >= need.cpu_cores &&
      h.offering_memory_size - h.used_memory_size >= need.memory_size,
  );
  if (fitting.length === 0) {
    const what = `${need.cpu_cores} cpu cores and ${need.memory_size} MB on a ${need.hypervisor}/${need.arch} host`;
    if (matching.length === 0)
      return {
        reason: `no ${need.hypervisor}/${need.arch} host node takes instances (needed: ${what}): add one with 'vdc-manage host add', or take one back with 'vdc-manage host enable'`,
      };
    return { reason: `no host node has room for ${what}` };
  }
  const free = (h: HostCapacity) => h.offering_memory_size - h.used_memory_size;
  const host = [...fitting].sort((a, b) => free(b) - free(a) || a.id.localeCompare(b.id))[0]!;
  return { host };
}
