// Carrying out a backup dcmgr asked for, and saying how it goes: begun
// (creating), its progress (every 5%, or every 2 s when it moves slower),
// then available with what was written, or failed with why. The backup
// object's PUTs are apart from the instance's reports: they need no revision.
import { rm } from "node:fs/promises";
import { removeStoredObject } from "../../backup-storage/stored-objects.js";
import type { BackupReport, WantedInstance } from "../../model/agent-contract.js";
import { virtualHardware } from "../../model/image-features.js";
import type { ActionTools } from "../actions.js";
import type { InstanceFiles } from "../instance-files.js";
import { endSysprep } from "./sysprep.js";
import { writeBackup } from "./write-backup.js";

const progressEveryMs = 2000;
const progressStep = 5;

export async function runBackup(w: WantedInstance, files: InstanceFiles, tools: ActionTools): Promise<void> {
  const b = w.backup!;
  const say = (r: BackupReport) => tools.api.reportBackup(b.backup_object_id, r);
  await say({ state: "creating", progress: 0 });
  let said = 0;
  let saidAt = Date.now();
  const progress = (percent: number) => {
    if (percent < said + progressStep && (percent <= said || Date.now() - saidAt < progressEveryMs)) return;
    said = percent;
    saidAt = Date.now();
    // A late one is refused once the backup has ended; nothing waits for it.
    say({ state: "creating", progress: percent }).catch(() => {});
  };
  let written: Awaited<ReturnType<typeof writeBackup>>;
  try {
    written = await writeBackup({
      disk: await files.readDisk(),
      efiVars: virtualHardware(w.image.features).firmware === "uefi" ? files.efiVars : null,
      target: b,
      work: files.backupWork,
      progress,
    });
  } catch (err) {
    await endSysprep(files);
    await say({ state: "failed", error: (err as Error).message });
    return;
  }
  await endSysprep(files);
  await say({
    state: "available",
    progress: 100,
    size: written.size,
    allocation_size: written.allocationSize,
    checksum: written.checksum,
  });
}

/** Ends the backup as failed: its VM stopped (a guest half way through sysprep), nothing left in the storage. */
export async function failBackup(
  w: WantedInstance,
  files: InstanceFiles,
  tools: ActionTools,
  error: string,
): Promise<void> {
  const b = w.backup!;
  await tools.vms.kill(files);
  // Said with the failure, not in its way: a storage that cannot be reached now must not keep the backup open.
  const left = await removeStoredObject(b.storage_uri, b.object_key).then(
    () => "",
    (err: Error) => `; what it stored could not be removed: ${err.message}`,
  );
  await rm(files.backupWork, { recursive: true, force: true });
  await endSysprep(files);
  await tools.api.reportBackup(b.backup_object_id, { state: "failed", error: `${error}${left}` });
}
