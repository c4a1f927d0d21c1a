// Backing an instance up (PUT /instances/:id/backup, the original's v12.03
// shape): a new backup object (pending) and a new image (creating) made from
// the instance's own image, in one transaction; the instance's host agent
// sees the backup in its state and does the rest (generalizing the guest
// first when asked), reporting on the object (agentBackupRoutes).
import type { Kysely } from "kysely";
import { type BackupReport, backupReportShape } from "../model/agent-contract.js";
import { backupObjectKey, backupRefusal, backupsUnderWay, stateOnBackup } from "../model/backup.js";
import { freshUuid } from "../store/fresh-uuid.js";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { errors } from "./errors.js";
import { changeInstance } from "./instance-change.js";
import { recordInstanceEvents } from "./instance-events.js";
import { now, ownedInstance } from "./routes/common.js";

export interface BackupRequest {
  display_name?: string;
  description?: string;
  is_public?: boolean;
  is_cacheable?: boolean;
  /** Every volume the instance has: its boot disk is its only one here. */
  all?: boolean;
  generalize?: boolean;
}

export interface BackupAnswer {
  instance_id: string;
  backup_object_id: string;
  image_id: string;
  backup_object_ids: string[];
}

/** The backup under way of an instance, if any: its backup object's id. */
export async function backupUnderWay(db: Kysely<Database>, instanceId: string): Promise<string | null> {
  const row = await db
    .selectFrom("backup_objects")
    .select("id")
    .where("source_instance_id", "=", instanceId)
    .where("state", "in", [...backupsUnderWay])
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * Asks for a backup of the caller's instance. `storageId`: the operator's
 * backup storage for backups (dcmgr.conf backup-storage); null: the storage
 * of the instance's own image.
 */
export async function requestBackup(
  store: Store,
  accountId: string,
  instanceId: string,
  req: BackupRequest,
  storageId: string | null,
): Promise<BackupAnswer> {
  return store.db.transaction().execute(async (db) => {
    const instance = await ownedInstance(db, instanceId, accountId);
    const generalize = req.generalize ?? false;
    const refusal = backupRefusal({
      instanceId,
      state: instance.state,
      osType: instance.os_type,
      generalize,
      underWay: await backupUnderWay(db, instanceId),
      requestedAction: instance.requested_action,
      isPublic: req.is_public ?? false,
    });
    if (refusal)
      throw refusal.conflict
        ? errors.invalidInstanceState(refusal.problem)
        : errors.invalidParameter(refusal.problem, refusal.field);
    const source = await db
      .selectFrom("images")
      .innerJoin("backup_objects", "backup_objects.id", "images.backup_object_id")
      .selectAll("images")
      .select("backup_objects.backup_storage_id")
      .where("images.id", "=", instance.image_id)
      .executeTakeFirstOrThrow();
    const stamp = now();
    // Through the instance's revision: a second request at the same time finds it moved and is refused.
    const changed = await changeInstance(db, instanceId, instance.revision, {
      state: stateOnBackup(instance.state),
      updated_at: stamp,
    });
    if (changed === null)
      throw errors.invalidInstanceState(
        `${instanceId} changed while this backup was asked (another request?): look at it again and retry`,
      );
    const backupObjectId = await freshUuid(db, "backup_objects", "backupObject");
    const imageId = await freshUuid(db, "images", "image");
    const name = req.display_name ?? `${source.display_name} (backup of ${instanceId})`;
    await db
      .insertInto("backup_objects")
      .values({
        id: backupObjectId,
        account_id: accountId,
        backup_storage_id: storageId ?? source.backup_storage_id,
        display_name: name,
        object_key: backupObjectKey(backupObjectId),
        // Known once written: the agent reports them.
        size: 0,
        allocation_size: 0,
        checksum: "",
        container_format: "tgz",
        description: req.description ?? null,
        service_type: source.service_type,
        state: "pending",
        source_instance_id: instanceId,
        progress: 0,
        created_at: stamp,
        updated_at: stamp,
      })
      .execute();
    await db
      .insertInto("images")
      .values({
        id: imageId,
        account_id: accountId,
        backup_object_id: backupObjectId,
        boot_dev_type: source.boot_dev_type,
        arch: source.arch,
        description: req.description ?? null,
        // The agent writes the disk flattened, as raw.
        file_format: "raw",
        root_device: source.root_device,
        service_type: source.service_type,
        display_name: name,
        is_public: req.is_public ? 1 : 0,
        is_cacheable: (req.is_cacheable ?? source.is_cacheable === 1) ? 1 : 0,
        os_type: source.os_type,
        features: source.features,
        generalized: generalize ? 1 : 0,
        state: "creating",
        created_at: stamp,
        updated_at: stamp,
      })
      .execute();
    return {
      instance_id: instanceId,
      backup_object_id: backupObjectId,
      image_id: imageId,
      backup_object_ids: [backupObjectId],
    };
  });
}

/** Ends the backup under way of an instance as failed, with why (its instance is terminated); its agent's last word is refused. */
export async function abandonBackups(db: Kysely<Database>, instanceId: string, why: string): Promise<void> {
  // (Its caller changes the instance itself, updated_at with it.)
  const underWay = await backupUnderWay(db, instanceId);
  if (!underWay) return;
  const stamp = now();
  await db
    .updateTable("backup_objects")
    .set({ state: "failed", progress: null, error: why, updated_at: stamp })
    .where("id", "=", underWay)
    .execute();
  await db
    .updateTable("images")
    .set({ state: "failed", updated_at: stamp })
    .where("backup_object_id", "=", underWay)
    .execute();
}

/** A host agent's word on a backup of one of its instances (PUT /api/agent/v1/backup_objects/:id). */
export async function recordBackupReport(
  store: Store,
  hostNodeId: string,
  backupObjectId: string,
  r: BackupReport,
): Promise<void> {
  await store.db.transaction().execute(async (db) => {
    const bo = await db
      .selectFrom("backup_objects")
      .innerJoin("instances", "instances.id", "backup_objects.source_instance_id")
      .select([
        "backup_objects.state",
        "backup_objects.progress",
        "backup_objects.source_instance_id",
        "instances.host_node_id",
      ])
      .where("backup_objects.id", "=", backupObjectId)
      .executeTakeFirst();
    if (!bo || bo.host_node_id !== hostNodeId)
      throw errors.unknownBackupObject(`${backupObjectId} is no backup of an instance on ${hostNodeId}`);
    if (!(backupsUnderWay as readonly string[]).includes(bo.state))
      throw errors.backupEnded(`${backupObjectId} is ${bo.state} already: it takes no more reports`);
    const stamp = now();
    const image = db.updateTable("images").where("backup_object_id", "=", backupObjectId);
    const object = db.updateTable("backup_objects").where("id", "=", backupObjectId);
    // The instance's view shows its backup: it is newer now (pages keep the newest by updated_at).
    // A guest generalized for it has forgotten its password: the one kept would decrypt to nothing that signs in.
    await db
      .updateTable("instances")
      .set({
        updated_at: stamp,
        ...(r.generalized &&
          r.state !== "creating" && { encrypted_password: null, password_will_be_deleted_at: null }),
      })
      .where("id", "=", bo.source_instance_id!)
      .execute();
    if (r.state === "creating") {
      // Progress reports may cross on their way: it never goes back.
      const progress = Math.max(bo.progress ?? 0, r.progress ?? 0);
      await object.set({ state: "creating", progress, updated_at: stamp }).execute();
    } else if (r.state === "available") {
      const missing = (["size", "allocation_size", "checksum"] as const).find((k) => r[k] === undefined);
      if (missing)
        throw errors.invalidParameter(`${missing}: ${backupReportShape[missing].desc} is needed`, missing);
      await object
        .set({
          state: "available",
          progress: 100,
          size: r.size!,
          allocation_size: r.allocation_size!,
          checksum: r.checksum!,
          updated_at: stamp,
        })
        .execute();
      // The kind the disk really is (a disk generalized before, not booted since, is one).
      await image
        .set({
          state: "available",
          ...(r.generalized !== undefined && { generalized: r.generalized ? 1 : 0 }),
          updated_at: stamp,
        })
        .execute();
    } else {
      const error = r.error || "the host agent gave no reason";
      await object.set({ state: "failed", progress: null, error, updated_at: stamp }).execute();
      await image.set({ state: "failed", updated_at: stamp }).execute();
    }
    // The instance's views show its backup; their readers hear of it.
    await recordInstanceEvents(db, [bo.source_instance_id!]);
  });
}
