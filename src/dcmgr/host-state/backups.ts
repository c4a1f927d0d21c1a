// The backups under way of a host's instances: what each agent must write,
// where, and whether it generalizes the guest first.
import type { WantedBackup } from "../../model/agent-contract.js";
import { backupsUnderWay } from "../../model/backup.js";
import type { Db } from "./db.js";

export async function loadBackups(db: Db, instanceIds: readonly string[]) {
  const rows = instanceIds.length
    ? await db
        .selectFrom("backup_objects")
        .innerJoin("images", "images.backup_object_id", "backup_objects.id")
        .innerJoin("backup_storages", "backup_storages.id", "backup_objects.backup_storage_id")
        .select([
          "backup_objects.id",
          "backup_objects.source_instance_id",
          "backup_objects.state",
          "backup_objects.object_key",
          "images.id as image_id",
          "images.generalized",
          "backup_storages.base_uri",
        ])
        .where("backup_objects.source_instance_id", "in", [...instanceIds])
        .where("backup_objects.state", "in", [...backupsUnderWay])
        .execute()
    : [];
  const byInstance = new Map<string, WantedBackup>();
  for (const r of rows)
    byInstance.set(r.source_instance_id!, {
      backup_object_id: r.id,
      image_id: r.image_id,
      state: r.state as WantedBackup["state"],
      generalize: r.generalized === 1,
      storage_uri: r.base_uri,
      object_key: r.object_key,
    });
  return (id: string): WantedBackup | null => byInstance.get(id) ?? null;
}
