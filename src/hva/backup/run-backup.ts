// Carrying out a backup dcmgr asked for, and saying how it goes: begun
// (creating), its progress (progress-reports.ts),
// then available with what was written, or failed with why; both say
// whether the disk was generalized. The backup object's PUTs are apart from
// the instance's reports: they need no revision. One backup at a time on a
// host, its compressor at a lower priority: the host's VMs come first.
import { rm } from "node:fs/promises";
import { removeStoredObject } from "../../backup-storage/stored-objects.js";
import type { BackupReport, WantedInstance } from "../../model/agent-contract.js";
import { virtualHardware } from "../../model/image-features.js";
import type { ActionTools } from "../actions.js";
import { OutdatedView } from "../agent-api.js";
import type { InstanceFiles } from "../instance-files.js";
import { progressReports } from "../progress-reports.js";
import { endSysprep } from "./sysprep.js";
import { writeBackup } from "./write-backup.js";

/** What the report shape takes of an error (a compressor's or qemu-img's can be long). */
const errorMax = 4000;
/** Tries at the last report before the backup is left to the next pass (which fails it, and cleans up). */
const lastReportTries = 3;

/** The host's backups, one after the other. */
let queue: Promise<unknown> = Promise.resolve();

export function runBackup(w: WantedInstance, files: InstanceFiles, tools: ActionTools): Promise<void> {
  const turn = queue.then(() => backUp(w, files, tools));
  queue = turn.catch(() => {});
  return turn;
}

async function backUp(w: WantedInstance, files: InstanceFiles, tools: ActionTools): Promise<void> {
  const b = w.backup!;
  const say = (r: BackupReport) => tools.api.reportBackup(b.backup_object_id, r);
  await say({ state: "creating", progress: 0 });
  const progress = progressReports((percent) => say({ state: "creating", progress: percent }));
  const { generalized } = await files.marks();
  let last: BackupReport;
  try {
    const written = await writeBackup({
      disk: await files.readDisk(),
      efiVars: virtualHardware(w.image.features).firmware === "uefi" ? files.efiVars : null,
      target: b,
      work: files.backupWork,
      progress,
    });
    last = {
      state: "available",
      progress: 100,
      size: written.size,
      allocation_size: written.allocationSize,
      checksum: written.checksum,
      generalized,
    };
  } catch (err) {
    last = { state: "failed", error: (err as Error).message.slice(0, errorMax), generalized };
  }
  await endSysprep(files);
  for (let tried = 1; ; tried++) {
    try {
      await say(last);
      return;
    } catch (err) {
      // dcmgr ended it meanwhile (its instance terminated): what was stored is nobody's.
      if (err instanceof OutdatedView) {
        await removeStoredObject(b.storage_uri, b.object_key).catch(() => {});
        return;
      }
      if (tried === lastReportTries) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
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
  const { generalized } = await files.marks();
  await tools.api.reportBackup(b.backup_object_id, {
    state: "failed",
    error: `${error}${left}`.slice(0, errorMax),
    generalized,
  });
}
