// Making an instance's files before its first start: its disk from the
// (cached) image, its metadata drive (with first-boot for a generalized
// Windows image, guest-protocol.md), a UEFI instance's variable store (the
// image's own, a backup's, or the host's template), and its network's
// plan. A host that lacks the image's firmware says so before anything is
// made. The mark that it is prepared goes last, so an agent stopped half way
// prepares again from scratch.
import type { WantedInstance } from "../model/agent-contract.js";
import { passwordRules } from "../model/guest-protocol.js";
import { virtualHardware } from "../model/image-features.js";
import type { WindowsOptions } from "../model/windows-options.js";
import type { ImageCache } from "./image-cache.js";
import { createInstanceDisk } from "./instance-disk.js";
import type { InstanceFiles } from "./instance-files.js";
import { writeMetadataDrive } from "./metadata-drive.js";
import type { InstanceNetwork } from "./network/instance-network.js";
import { makeVarStore, varsTemplate } from "./vm/firmware.js";
import { type HostHardware, hardwareMissing } from "./vm/host-hardware.js";

/** The metadata drive's part of a Windows instance's launch options; the protocol's defaults without them. */
function metadataOptions(o: WindowsOptions | null) {
  return {
    enableFirewall: o?.windows_firewall ?? false,
    autoActivate: o?.auto_activate ? { proxy: null, kmsHost: o.kms_host } : null,
    productKey: o?.product_key ?? null,
    retryGenPassword: o?.password_retries ?? passwordRules.defaultRetries,
  };
}

export async function prepareInstance(
  files: InstanceFiles,
  w: WantedInstance,
  tools: {
    cache: ImageCache;
    network: InstanceNetwork;
    host: HostHardware;
    extraHosts: Readonly<Record<string, string>>;
  },
): Promise<void> {
  const { cache, network, host } = tools;
  const hardware = virtualHardware(w.image.features);
  const missing = hardwareMissing(hardware, host);
  if (missing) throw new Error(missing);
  await files.create();
  const base = await cache.get(w.image.backup_object);
  const { file_format: format, is_cacheable: cacheable } = w.image;
  const disk = await createInstanceDisk(base, format, files.disk(cacheable ? "qcow2" : format), cacheable);
  // A generalized (sysprep'd) Windows image's instance makes its password at its first boot; one backed up as it was keeps its source's.
  const firstBoot = w.os_type === "windows" && w.image.generalized;
  await writeMetadataDrive(files.metadataDrive, {
    instanceId: w.id,
    hostname: w.hostname ?? w.id.slice(2),
    interfaces: w.vifs.map((v) => ({
      mac: v.mac_address,
      ipv4: v.ipv4_address ?? "",
      netmask: v.netmask,
      gateway: v.gateway,
      dns: v.dns,
    })),
    publicKey: w.ssh_public_key,
    firstBoot,
    ...metadataOptions(w.windows_options),
    extraHosts: tools.extraHosts,
    userData: w.user_data === null ? null : Buffer.from(w.user_data),
  });
  // A backup's own store (its boot entries, its keys), else the host's template.
  const template =
    hardware.firmware === "uefi"
      ? (cache.efiVarsOf(w.image.backup_object) ?? varsTemplate(hardware, host.ovmf))
      : null;
  if (template) await makeVarStore(template, files.efiVars);
  await files.writePlan(await network.plan(w));
  await files.writeDisk(disk);
  if (firstBoot) await files.firstBootPending(true);
  await files.markPrepared();
}
