// `vdc-manage backupstorage`: where backup objects (image files) are kept.
import { baseUriField, enumField, textField, uuidField } from "../../model/fields.js";
import { generateUuid } from "../../model/uuid.js";
import { storageTypes } from "../../model/vocabulary.js";
import { backupStorageRecord } from "../../store/records.js";
import { arg, type CommandGroup, command } from "../command.js";
import { UserError } from "../errors.js";
import { requireSomeChange } from "./common-options.js";
import { type Ctx, givenFields, now, requireFreeUuid, requireRow } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const storageUuid = uuidField("backupStorage");

const storageOptions = {
  display_name: { field: textField(), desc: "The display name for the backup storage" },
  node_id: { field: textField(), desc: "The backup service agent ID for the backup storage" },
  base_uri: { field: baseUriField, desc: "The base URI to store the backup objects" },
  storage_type: { field: enumField(storageTypes), desc: "Storage driver name of the backup storage" },
  description: { field: textField({ max: 4096 }), desc: "Description of the backup storage" },
};

/** A local storage is a directory; a webdav one is a web server. */
function checkUriMatchesType(uri: string, type: string): void {
  const local = uri.startsWith("file:");
  if (type === "local" && !local) {
    throw new UserError(
      `--base-uri: a local storage needs a file:///path/ URI; use --storage-type webdav for ${uri}`,
    );
  }
  if (type !== "local" && local) {
    throw new UserError(
      `--base-uri: a ${type} storage needs an http(s):// URI; use --storage-type local for ${uri}`,
    );
  }
}

const add = command({
  name: "add",
  summary: "Register a backup storage",
  args: [],
  options: {
    uuid: { field: storageUuid, desc: "The UUID for the backup storage" },
    ...storageOptions,
    base_uri: { ...storageOptions.base_uri, required: true },
    storage_type: { ...storageOptions.storage_type, required: true },
  },
  async run({ store }: Ctx, _args, o) {
    checkUriMatchesType(o.base_uri!, o.storage_type!);
    const id = o.uuid ?? generateUuid("backupStorage");
    await store.db.transaction().execute(async (db) => {
      if (o.uuid) await requireFreeUuid(db, "backup_storages", id);
      const stamp = now();
      await db
        .insertInto("backup_storages")
        .values({
          id,
          display_name: o.display_name ?? null,
          node_id: o.node_id ?? null,
          base_uri: o.base_uri!,
          storage_type: o.storage_type!,
          description: o.description ?? null,
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
    });
    process.stdout.write(`${id}\n`);
  },
});

const modify = command({
  name: "modify",
  summary: "Modify the backup storage",
  args: [arg("UUID", storageUuid)],
  options: storageOptions,
  async run({ store }: Ctx, [id], o) {
    requireSomeChange(o, "backupstorage modify");
    await store.db.transaction().execute(async (db) => {
      const current = await requireRow(db, "backup_storages", id!);
      checkUriMatchesType(o.base_uri ?? current.base_uri, o.storage_type ?? current.storage_type);
      await db
        .updateTable("backup_storages")
        .set({ ...givenFields(o), updated_at: now() })
        .where("id", "=", id!)
        .execute();
    });
  },
});

const show = showCommand({
  table: "backup_storages",
  uuid: storageUuid,
  words: "backup storages",
  record: backupStorageRecord,
  columns: ["UUID", "Storage Type", "Base URI", "Name"],
  row: (r) => [r.id, r.storage_type, r.base_uri, r.display_name],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Storage Type", r.storage_type],
    ["Node ID", r.node_id],
    ["Base URI", r.base_uri],
    ["Description", r.description],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

const del = delCommand({
  table: "backup_storages",
  uuid: storageUuid,
  summary: "Deregister the backup storage",
  async inUse(db, id) {
    const bo = await db
      .selectFrom("backup_objects")
      .select("id")
      .where("backup_storage_id", "=", id)
      .executeTakeFirst();
    return bo && `backup object ${bo.id} is stored there: delete or move its backup objects first`;
  },
});

export const backupStorageCommands: CommandGroup<Ctx> = {
  name: "backupstorage",
  summary: "Register, change and list backup storages",
  commands: [add, modify, del, show],
};
