// The closed lists of words the product accepts, as the original's constants.
export const hypervisors = ["kvm"] as const;
export const arches = ["x86_64", "x86"] as const;
export const osTypes = ["linux", "windows"] as const;
export const containerFormats = ["tgz", "gz", "tar", "none"] as const;
export const fileFormats = ["raw", "qcow2"] as const;
export const storageTypes = ["local", "webdav"] as const;
export const serviceTypes = ["std"] as const;
export const networkModes = ["securitygroup", "passthru", "l2overlay"] as const;
/** An image's features: its disk bus, and the virtual hardware it must boot on (firmware, Secure Boot, a TPM; issue 24). */
export const imageFeatures = ["virtio", "acpi", "uefi", "secure_boot", "tpm"] as const;

export type Hypervisor = (typeof hypervisors)[number];
export type Arch = (typeof arches)[number];
export type OsType = (typeof osTypes)[number];
export type ContainerFormat = (typeof containerFormats)[number];
export type FileFormat = (typeof fileFormats)[number];
export type ImageFeature = (typeof imageFeatures)[number];

/** The account every seeded resource belongs to, as in the original demo data. */
export const defaultAccountId = "a-shpoolxx";

/** Instance presets shipped with a fresh store (api.md, "Instance specs"). */
export const defaultInstanceSpecs = [
  { name: "kvm.small", hypervisor: "kvm", cpu_cores: 1, memory_size: 1024 },
  { name: "kvm.large", hypervisor: "kvm", cpu_cores: 2, memory_size: 2048 },
  { name: "kvm.xlarge", hypervisor: "kvm", cpu_cores: 2, memory_size: 4096 },
] as const;

/**
 * The network a fresh store offers. It matches QEMU's user-mode network
 * (gateway .2, DNS .3), which is what a single host uses until bridged
 * networking exists; leases are handed out from the range.
 */
export const defaultNetwork = {
  id: "nw-demo1",
  display_name: "demo network",
  ipv4_network: "10.0.2.0",
  prefix: 24,
  ipv4_gw: "10.0.2.2",
  dns_server: "10.0.2.3",
  range_begin: "10.0.2.100",
  range_end: "10.0.2.250",
} as const;
