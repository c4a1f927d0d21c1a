// Sysprep for backup, driven by the host (guest-protocol.md): the VM starts
// with meta-data/sysprep-for-backup on its drive, the guest's every-boot
// script takes the flag off the drive (the host's sign that it acts on it),
// runs the seed's sysprep-for-backup (the Linux test guest forgets its
// password) and powers off. Its next boot is a first boot again: the drive
// gets first-boot back, and the old pw.enc goes. The disk stays marked
// generalized until the VM next starts, so a second backup need not
// generalize it again.
import { existsSync } from "node:fs";

import type { WantedInstance } from "../../model/agent-contract.js";
import { metadataPaths } from "../../model/guest-protocol.js";
import type { ActionTools } from "../actions.js";
import type { InstanceFiles } from "../instance-files.js";
import { deleteMetadataFile, putMetadataFile, readMetadataFile } from "../metadata-drive.js";
import { startVm } from "../start-vm.js";

export async function startSysprep(w: WantedInstance, files: InstanceFiles, tools: ActionTools) {
  await putMetadataFile(files.metadataDrive, metadataPaths.sysprepForBackup, Buffer.alloc(0));
  await files.sysprepStarted(Date.now());
  await startVm(w, files, tools);
}

export async function generalized(files: InstanceFiles) {
  const drive = files.metadataDrive;
  await deleteMetadataFile(drive, metadataPaths.sysprepForBackup);
  await deleteMetadataFile(drive, metadataPaths.encryptedPassword);
  await putMetadataFile(drive, metadataPaths.firstBoot, Buffer.alloc(0));
  await files.firstBootPending(true);
  await files.generalized(true);
}

/** Whether sysprep-for-backup is on the instance's drive still. */
export const sysprepFlagOn = async (files: InstanceFiles) =>
  (await readMetadataFile(files.metadataDrive, metadataPaths.sysprepForBackup)) !== undefined;

/** The backup ended, however: the flag goes if the guest never took it, and the boot's mark. */
export async function endSysprep(files: InstanceFiles) {
  if (existsSync(files.metadataDrive))
    await deleteMetadataFile(files.metadataDrive, metadataPaths.sysprepForBackup);
  await files.sysprepStarted(null);
}
