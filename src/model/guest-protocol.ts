// The metadata drive's contents (guest-protocol.md), as paths and bytes. Pure:
// the host agent writes these with mtools, and the guests (the Windows
// scripts and the Linux test guest) read the same paths, taken from here.

export const metadataLabel = "METADATA";

export const metadataPaths = {
  firstBoot: "meta-data/first-boot",
  instanceId: "meta-data/instance-id",
  localHostname: "meta-data/local-hostname",
  localIpv4: "meta-data/local-ipv4",
  publicKey: "meta-data/public-keys/0/openssh-key",
  enableFirewall: "meta-data/enable-firewall",
  autoActivate: "meta-data/auto-activate",
  autoActivateProxy: "meta-data/auto-activate/auto-activate-proxy",
  /** host:port of the KMS server activation goes to (slmgr /skms). */
  autoActivateKmsHost: "meta-data/auto-activate/kms-host",
  /** The product key the guest applies before activating (slmgr /ipk). */
  productKey: "meta-data/product-key",
  retryGenPassword: "meta-data/retry-gen-password",
  /** Put by the host agent before a boot whose guest must generalize itself for a backup (the seed's sysprep-for-backup) and power off. */
  sysprepForBackup: "meta-data/sysprep-for-backup",
  userData: "meta-data/user-data",
  encryptedPassword: "meta-data/pw.enc",
  /** Per NIC, by MAC written with dashes: `52-54-00-11-a0-5b`. */
  interface: (mac: string) => `meta-data/network/interfaces/macs/${mac.toLowerCase().replaceAll(":", "-")}`,
  extraHost: (hostname: string) => `meta-data/extra-hosts/${hostname}`,
} as const;

/** The initial password (guest-protocol.md, first boot step 3): what both guests make. */
export const passwordRules = {
  length: 10,
  /** What the Windows scripts draw from: no I, O, l, 0 or 1, which read alike on a screen. */
  alphabet: "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%&*+,.:;=?@^_~-",
  /** At least this many characters that are neither letters nor digits. */
  minNonAlphanumeric: 2,
  /** Tries at setting it, when meta-data/retry-gen-password does not say. */
  defaultRetries: 10,
} as const;

/** Files under each interface's directory. */
export const interfaceFiles = {
  ipv4: "local-ipv4s",
  netmask: "x-netmask",
  gateway: "x-gateway",
  dns: "x-dns",
} as const;

export interface MetadataInterface {
  mac: string;
  ipv4: string;
  netmask: string;
  gateway: string | null;
  dns: string | null;
}

export interface MetadataContent {
  instanceId: string;
  hostname: string;
  interfaces: readonly MetadataInterface[];
  publicKey: string | null;
  /** Present only for the very first boot: the guest then makes the password. */
  firstBoot: boolean;
  enableFirewall: boolean;
  autoActivate: { proxy: string | null; kmsHost: string | null } | null;
  productKey: string | null;
  retryGenPassword: number;
  extraHosts: Readonly<Record<string, string>>;
  userData: Buffer | null;
}

/** Every file of the drive, path to bytes; directories are implied by the paths (and listed for empty ones). */
export function metadataFiles(c: MetadataContent): { files: Map<string, Buffer>; directories: string[] } {
  const files = new Map<string, Buffer>();
  const text = (path: string, value: string) => files.set(path, Buffer.from(`${value}\n`));
  if (c.firstBoot) files.set(metadataPaths.firstBoot, Buffer.alloc(0));
  text(metadataPaths.instanceId, c.instanceId);
  text(metadataPaths.localHostname, c.hostname);
  text(metadataPaths.localIpv4, c.interfaces[0]?.ipv4 ?? "");
  if (c.publicKey) text(metadataPaths.publicKey, c.publicKey.trim());
  for (const nic of c.interfaces) {
    const dir = metadataPaths.interface(nic.mac);
    text(`${dir}/${interfaceFiles.ipv4}`, nic.ipv4);
    text(`${dir}/${interfaceFiles.netmask}`, nic.netmask);
    text(`${dir}/${interfaceFiles.gateway}`, nic.gateway ?? "");
    text(`${dir}/${interfaceFiles.dns}`, nic.dns ?? "");
  }
  for (const [host, ip] of Object.entries(c.extraHosts)) text(metadataPaths.extraHost(host), ip);
  if (c.enableFirewall) files.set(metadataPaths.enableFirewall, Buffer.alloc(0));
  const directories: string[] = [];
  if (c.autoActivate) {
    directories.push(metadataPaths.autoActivate);
    if (c.autoActivate.proxy) text(metadataPaths.autoActivateProxy, c.autoActivate.proxy);
    if (c.autoActivate.kmsHost) text(metadataPaths.autoActivateKmsHost, c.autoActivate.kmsHost);
  }
  if (c.productKey) text(metadataPaths.productKey, c.productKey);
  text(metadataPaths.retryGenPassword, String(c.retryGenPassword));
  if (c.userData) files.set(metadataPaths.userData, c.userData);
  return { files, directories };
}
