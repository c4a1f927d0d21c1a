// /backup_objects: the caller's image files, with size and checksum; one no
// image is made from can be deleted, its stored file with it.
import type { FastifyInstance } from "fastify";
import { removeStoredObject } from "../../backup-storage/stored-objects.js";
import { backupObjectInUse } from "../../store/in-use.js";
import { backupObjectRecord } from "../../store/records.js";
import type { Store } from "../../store/store.js";
import { pageOf, pageShape } from "../collections.js";
import { errors } from "../errors.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { idParams, owned } from "./common.js";

export function backupObjectRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  api.get("/backup_objects", { schema: { querystring: pageShape } }, async (req) => {
    const q = store.db
      .selectFrom("backup_objects")
      .selectAll()
      .where("account_id", "=", req.accountId)
      .orderBy("created_at")
      .orderBy("id");
    return pageOf(q, req.query.start!, req.query.limit!, (rows) => rows.map(backupObjectRecord));
  });
  api.get("/backup_objects/:id", { schema: { params: idParams("backupObject") } }, async (req) =>
    backupObjectRecord(
      await owned(store.db, "backup_objects", req.params.id!, req.accountId, errors.unknownBackupObject),
    ),
  );

  api.delete("/backup_objects/:id", { schema: { params: idParams("backupObject") } }, async (req) => {
    const id = req.params.id!;
    await store.db.transaction().execute(async (db) => {
      const row = await owned(db, "backup_objects", id, req.accountId, errors.unknownBackupObject);
      const why = await backupObjectInUse(db, id, (image) => `DELETE /images/${image}`);
      if (why) throw errors.existsRegisteredInstance(`${id} is still in use: ${why}`);
      await db.deleteFrom("backup_objects").where("id", "=", id).execute();
      const storage = await db
        .selectFrom("backup_storages")
        .select("base_uri")
        .where("id", "=", row.backup_storage_id)
        .executeTakeFirstOrThrow();
      // Last, inside the transaction: a file that cannot be removed leaves the record as it was.
      await removeStoredObject(storage.base_uri, row.object_key).catch((err: Error) => {
        throw errors.internal(`${id} is kept: its stored file could not be removed (${err.message})`);
      });
    });
    return [id];
  });
}
