// The -cpu option of a VM: its model, and for a Windows guest under KVM the
// Hyper-V enlightenments every peer turns on (Proxmox's qemu-server, libvirt
// as OpenStack's nova asks for Windows, Incus): without them Windows spins on
// its spinlocks and its clock drifts. They are KVM's: under TCG none is set.
// Pure. docs/hva.md has the table of where each choice comes from.

/** In QEMU's spelling, in an order where each comes after what it needs (synic after vpindex, stimer after synic and time). */
export const hypervEnlightenments = [
  "hv-relaxed",
  "hv-vapic",
  "hv-spinlocks=0x1fff",
  "hv-vpindex",
  "hv-runtime",
  "hv-time",
  "hv-synic",
  "hv-stimer",
  "hv-frequencies",
  "hv-tlbflush",
  "hv-ipi",
  "hv-reset",
] as const;

export function cpuOption(o: { accel: "kvm" | "tcg"; model: string; windows: boolean }): string {
  const flags = o.windows && o.accel === "kvm" ? hypervEnlightenments : [];
  return [o.model, ...flags].join(",");
}
