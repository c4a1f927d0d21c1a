// The `.install.sh` written beside a packaged seed image: the seed document's
// registration commands with this image's values, runnable as
// `bash IMAGE.install.sh backupobject image` (either part alone, or both when
// none is named). Pure: returns the script text.

import type { PackagedImage } from "../model/packaged-image.js";
import type { ImageFeature } from "../model/vocabulary.js";
import type { InstallParams } from "./install-params.js";

export interface InstallScriptParams extends PackagedImage {
  /** The image's name: its uuids are bo-NAME and wmi-NAME (windows2008r2, say). */
  name: string;
  /** The image's features (`vdc-manage image features`); the seed's `--virtio` when none are named. */
  features?: readonly ImageFeature[];
}

/**
 * The features of an image the build made: virtio always (its drivers are
 * installed); uefi when its disk is GPT, which only UEFI boots; Secure Boot
 * and the TPM on a UEFI image as the build's settings gave them (none for an
 * image installed some other way, which has no settings).
 */
export function imageFeatures(
  disk: { gpt: boolean },
  settings: Pick<InstallParams, "secureBoot" | "tpm"> | undefined,
): ImageFeature[] {
  const features: ImageFeature[] = ["virtio"];
  if (!disk.gpt) return features;
  features.push("uefi");
  if (settings?.secureBoot) features.push("secure_boot");
  if (settings?.tpm) features.push("tpm");
  return features;
}

/** Single-quotes a value for bash. */
const q = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

export function installScript(p: InstallScriptParams): string {
  const name = p.name;
  const features = (p.features ?? ["virtio"]).map((f) => `--${f.replaceAll("_", "-")}`).join(" ");
  const display = `${name} ${Math.round(p.size / 2 ** 30)}G`;
  return `#!/bin/bash
# Registers ${p.objectKey} with wakame-ts (seed document, "Installing Windows Images").
# Copy the image into the backup storage's directory first, then:
#   bash ${p.objectKey}.install.sh backupobject image
# Names no part: does both. VDC_MANAGE overrides the vdc-manage command.
set -euo pipefail

vdc_manage() {
  if [[ -n "\${VDC_MANAGE:-}" ]]; then \${VDC_MANAGE} "$@"
  elif command -v vdc-manage >/dev/null; then vdc-manage "$@"
  else /opt/axsh/wakame-vdc/dcmgr/bin/vdc-manage "$@"
  fi
}

register_backupobject() {
  vdc_manage backupobject add \\
    --uuid=${q(`bo-${name}`)} \\
    --account-id=a-shpoolxx \\
    --storage-id=bkst-local \\
    --display-name=${q(display)} \\
    --object-key=${q(p.objectKey)} \\
    --container-format=${p.containerFormat} \\
    --size=${p.size} \\
    --allocation-size=${p.allocationSize} \\
    --checksum=${p.checksum}
}

register_image() {
  vdc_manage image add local ${q(`bo-${name}`)} \\
    --uuid=${q(`wmi-${name}`)} \\
    --account-id=a-shpoolxx \\
    --arch=x86_64 \\
    --description=${q(`${p.objectKey} local`)} \\
    --file-format=${p.fileFormat} \\
    --root-device=label:root \\
    --service-type=std \\
    --display-name=${q(display)} \\
    --is-public \\
    --is-cacheable
  vdc_manage image features ${q(`wmi-${name}`)} ${features}
  vdc_manage image modify ${q(`wmi-${name}`)} --os-type=windows
}

parts=("$@")
[[ \${#parts[@]} -gt 0 ]] || parts=(backupobject image)
for part in "\${parts[@]}"; do
  case "$part" in
    backupobject) register_backupobject ;;
    image) register_image ;;
    *) echo "$0: unknown part '$part': use backupobject, image, or both" >&2; exit 2 ;;
  esac
done
`;
}
