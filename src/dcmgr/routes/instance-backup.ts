// PUT /instances/:id/backup: an instance becomes a new image (backup.ts).
import type { FastifyInstance } from "fastify";
import { flagField } from "../../model/fields.js";
import type { Store } from "../../store/store.js";
import { requestBackup } from "../backup.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { displayFields, idParams } from "./common.js";

const backupShape = {
  ...displayFields,
  is_public: { field: flagField, desc: "the new image is public (default false)" },
  is_cacheable: { field: flagField, desc: "hosts keep it cached (default: as the instance's image)" },
  all: { field: flagField, desc: "every volume the instance has (its boot disk is its only one)" },
  generalize: {
    field: flagField,
    desc: "Windows: the guest runs sysprep-for-backup and powers off first; instances of the image go through the first boot (new password)",
  },
};

export function instanceBackupRoute(app: FastifyInstance, store: Store, storageId: string | null): void {
  app
    .withTypeProvider<ShapeTypeProvider>()
    .put("/instances/:id/backup", { schema: { params: idParams("instance"), body: backupShape } }, (req) =>
      requestBackup(store, req.accountId, req.params.id!, req.body ?? {}, storageId),
    );
}
