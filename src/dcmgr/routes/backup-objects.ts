// /backup_objects: the caller's image files, with size and checksum.
import type { FastifyInstance } from "fastify";
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
}
