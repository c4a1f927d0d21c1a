// PUT /api/agent/v1/moves/:id: a host agent says how a move of one of its
// instances goes, as its source or its destination (move.ts).
import type { FastifyInstance } from "fastify";
import { moveReportShape } from "../../model/agent-contract.js";
import { moveReportOf } from "../../model/move.js";
import type { Store } from "../../store/store.js";
import { errors } from "../errors.js";
import { recordMoveReport } from "../move.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { idParams } from "./common.js";

export function agentMoveRoute(app: FastifyInstance, store: Store): void {
  app
    .withTypeProvider<ShapeTypeProvider>()
    .put("/moves/:id", { schema: { params: idParams("move"), body: moveReportShape } }, async (req) => {
      const report = moveReportOf({ ...req.body, state: req.body.state! });
      if ("missing" in report)
        throw errors.invalidParameter(
          `${report.missing}: ${moveReportShape[report.missing].desc} is needed`,
          report.missing,
        );
      const state = await recordMoveReport(store, req.hostNodeId, req.params.id!, report);
      return { id: req.params.id, state };
    });
}
