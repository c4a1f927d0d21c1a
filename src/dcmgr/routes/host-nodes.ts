// /host_nodes and /instance_specs: what placement chooses from, readable by every account.
import type { FastifyInstance } from "fastify";
import { textField } from "../../model/fields.js";
import { hostNodeRecord, instanceSpecRecord } from "../../store/records.js";
import type { Store } from "../../store/store.js";
import { pageOf, pageShape } from "../collections.js";
import { errors } from "../errors.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { idParams } from "./common.js";

export function hostNodeRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  api.get("/host_nodes", { schema: { querystring: pageShape } }, async (req) => {
    const q = store.db.selectFrom("host_nodes").selectAll().orderBy("created_at").orderBy("id");
    return pageOf(q, req.query.start!, req.query.limit!, (rows) => rows.map(hostNodeRecord));
  });
  api.get("/host_nodes/:id", { schema: { params: idParams("hostNode") } }, async (req) => {
    const row = await store.db
      .selectFrom("host_nodes")
      .selectAll()
      .where("id", "=", req.params.id!)
      .executeTakeFirst();
    if (!row) throw errors.unknownHostNode(`${req.params.id} does not exist`);
    return hostNodeRecord(row);
  });

  api.get("/instance_specs", { schema: { querystring: pageShape } }, async (req) => {
    const q = store.db.selectFrom("instance_specs").selectAll().orderBy("name");
    return pageOf(q, req.query.start!, req.query.limit!, (rows) => rows.map(instanceSpecRecord));
  });
  const specParams = { id: { field: textField({ max: 64 }), desc: "spec name", required: true } };
  api.get("/instance_specs/:id", { schema: { params: specParams } }, async (req) => {
    const row = await store.db
      .selectFrom("instance_specs")
      .selectAll()
      .where("name", "=", req.params.id!)
      .executeTakeFirst();
    if (!row) throw errors.unknownInstanceSpec(`${req.params.id} does not exist`);
    return instanceSpecRecord(row);
  });
}
