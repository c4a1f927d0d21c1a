// `vdc-manage backupstorage`: where backup objects (image files) are kept.
import { baseUriField, enumField, textField, uuidField } from "../../model/fields.js";
import { storageTypes } from "../../model/vocabulary.js";
import { backupStorageRecord } from "../../store/records.js";
import { arg, type CommandGroup, command } from "../command.js";
import { UserError } from "../errors.js";
import { addRow, type Ctx, modifyRow } from "./context.js";
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
    await addRow(store, "backup_storages", "backupStorage", o.uuid, async () => ({
      display_name: o.display_name ?? null,
      node_id: o.node_id ?? null,
      base_uri: o.base_uri!,
      storage_type: o.storage_type!,
      description: o.description ?? null,
    }));
  },
});

const modify = command({
  name: "modify",
  summary: "Modify the backup storage",
  args: [arg("UUID", storageUuid)],
  options: storageOptions,
  async run({ store }: Ctx, [id], o) {
    await modifyRow(store, "backup_storages", id!, o, async (_db, current) => {
      checkUriMatchesType(o.base_uri ?? current.base_uri, o.storage_type ?? current.storage_type);
      return o;
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
