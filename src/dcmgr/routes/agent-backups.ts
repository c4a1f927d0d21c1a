// PUT /api/agent/v1/backup_objects/:id: a host agent says how a backup of one
// of its instances goes (backup.ts).
import type { FastifyInstance } from "fastify";
import { backupReportShape } from "../../model/agent-contract.js";
import type { Store } from "../../store/store.js";
import { recordBackupReport } from "../backup.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { idParams } from "./common.js";

export function agentBackupRoute(app: FastifyInstance, store: Store): void {
  app
    .withTypeProvider<ShapeTypeProvider>()
    .put(
      "/backup_objects/:id",
      { schema: { params: idParams("backupObject"), body: backupReportShape } },
      async (req) => {
        await recordBackupReport(store, req.hostNodeId, req.params.id!, {
          ...req.body,
          state: req.body.state!,
        });
        return { id: req.params.id, state: req.body.state };
      },
    );
}
