// PUT /instances/:id/move: a running instance moves live to another host, the
// scheduler's choice or the one named (move.ts).
import type { FastifyInstance } from "fastify";
import { uuidField } from "../../model/fields.js";
import type { Store } from "../../store/store.js";
import { requestMove } from "../move.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { idParams } from "./common.js";

const moveShape = {
  host_node_id: {
    field: uuidField("hostNode"),
    desc: "the host to move it to (default: the scheduler chooses among those that can run it, its own left out)",
  },
};

export function instanceMoveRoute(app: FastifyInstance, store: Store): void {
  app
    .withTypeProvider<ShapeTypeProvider>()
    .put("/instances/:id/move", { schema: { params: idParams("instance"), body: moveShape } }, (req) =>
      requestMove(store, req.accountId, req.params.id!, req.body?.host_node_id ?? null),
    );
}
