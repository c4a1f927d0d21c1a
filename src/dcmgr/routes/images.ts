// /images: the caller's own machine images and the public ones; its own,
// when no live instance runs from them, can be deleted.
import type { FastifyInstance } from "fastify";
import type { Selectable } from "kysely";
import { enumField } from "../../model/fields.js";
import { osTypes, serviceTypes } from "../../model/vocabulary.js";
import { imageInUse } from "../../store/in-use.js";
import { imageRecord } from "../../store/records.js";
import type { ImagesTable } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { pageOf, pageShape } from "../collections.js";
import { errors } from "../errors.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { idParams } from "./common.js";

export function imageRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  const visible = (accountId: string) =>
    store.db
      .selectFrom("images")
      .selectAll()
      .where((eb) => eb.or([eb("account_id", "=", accountId), eb("is_public", "=", 1)]));

  /**
   * The records with what their backup object says: the disk's size and the
   * packed file's (allocation_size); for a backup, how far it is (progress,
   * 0-100, while creating) and why it failed (error).
   */
  async function withSizes(rows: Selectable<ImagesTable>[]) {
    const ids = [...new Set(rows.map((r) => r.backup_object_id))];
    const objects = ids.length
      ? await store.db
          .selectFrom("backup_objects")
          .select(["id", "size", "allocation_size", "progress", "error"])
          .where("id", "in", ids)
          .execute()
      : [];
    return rows.map((r) => {
      const b = objects.find((x) => x.id === r.backup_object_id);
      return {
        ...imageRecord(r),
        size: b?.size ?? null,
        allocation_size: b?.allocation_size ?? null,
        progress: r.state === "creating" ? (b?.progress ?? 0) : null,
        error: r.state === "failed" ? (b?.error ?? null) : null,
      };
    });
  }

  const query = {
    ...pageShape,
    service_type: { field: enumField(serviceTypes), desc: "only this service type" },
    os_type: { field: enumField(osTypes), desc: "only this OS type" },
  };
  api.get("/images", { schema: { querystring: query } }, async (req) => {
    let q = visible(req.accountId);
    if (req.query.service_type) q = q.where("service_type", "=", req.query.service_type);
    if (req.query.os_type) q = q.where("os_type", "=", req.query.os_type);
    return pageOf(q.orderBy("created_at").orderBy("id"), req.query.start!, req.query.limit!, withSizes);
  });

  api.get("/images/:id", { schema: { params: idParams("image") } }, async (req) => {
    const row = await visible(req.accountId).where("id", "=", req.params.id!).executeTakeFirst();
    if (!row) throw errors.unknownImage(`${req.params.id} does not exist`);
    return (await withSizes([row]))[0];
  });

  api.delete("/images/:id", { schema: { params: idParams("image") } }, async (req) => {
    const id = req.params.id!;
    await store.db.transaction().execute(async (db) => {
      const row = await db
        .selectFrom("images")
        .select(["account_id", "is_public"])
        .where("id", "=", id)
        .executeTakeFirst();
      if (row && row.account_id !== req.accountId && row.is_public)
        throw errors.operationNotPermitted(
          `${id} is another account's public image: only its owner can delete it`,
        );
      if (row?.account_id !== req.accountId) throw errors.unknownImage(`${id} does not exist`);
      const why = await imageInUse(db, id);
      if (why) throw errors.existsRegisteredInstance(`${id} is still in use: ${why}`);
      await db.deleteFrom("images").where("id", "=", id).execute();
    });
    return [id];
  });
}
