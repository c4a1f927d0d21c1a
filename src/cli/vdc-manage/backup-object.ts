// `vdc-manage backupobject`: an image file in a backup storage, with the size
// and checksum the host agent verifies when it fetches it.
import {
  enumField,
  type Field,
  FieldError,
  intField,
  md5Field,
  textField,
  uuidField,
} from "../../model/fields.js";
import { objectKeyProblem } from "../../model/object-key.js";
import { containerFormats, defaultAccountId, serviceTypes } from "../../model/vocabulary.js";
import { backupObjectInUse } from "../../store/in-use.js";
import { backupObjectRecord } from "../../store/records.js";
import { arg, type CommandGroup, command } from "../command.js";
import { addRow, type Ctx, modifyRow, requireRow } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const objectUuid = uuidField("backupObject");

/** A path inside the storage: relative, with no way out of it (object-key.ts). */
const objectKeyField: Field<string> = {
  type: "text",
  allowed: "a file name or relative path inside the backup storage (no leading /, no .., no \\)",
  parse(raw) {
    const value = textField({ max: 1024 }).parse(raw);
    const problem = objectKeyProblem(value);
    if (problem)
      throw new FieldError(
        `'${value}' is not valid: use a file name or relative path inside the backup storage (${problem})`,
      );
    return value;
  },
};

const objectOptions = {
  account_id: { field: uuidField("account"), desc: "The account ID for the backup object" },
  display_name: { field: textField(), desc: "The display name for the backup object" },
  storage_id: { field: uuidField("backupStorage"), desc: "The backup storage ID to store the backup object" },
  object_key: { field: objectKeyField, desc: "The object key of the backup object" },
  size: { field: intField(), desc: "The original file size of the backup object (bytes)" },
  allocation_size: { field: intField(), desc: "The allocated file size of the backup object (bytes)" },
  checksum: { field: md5Field, desc: "The md5 checksum of the backup object" },
  description: { field: textField({ max: 4096 }), desc: "Description of the backup object" },
  service_type: { field: enumField(serviceTypes), desc: "Service type of the backup object" },
  container_format: { field: enumField(containerFormats), desc: "The container format of the backup object" },
};

const add = command({
  name: "add",
  summary: "Register a backup object",
  args: [],
  options: {
    uuid: { field: objectUuid, desc: "The UUID for the backup object" },
    ...objectOptions,
    account_id: { ...objectOptions.account_id, default: defaultAccountId },
    storage_id: { ...objectOptions.storage_id, required: true },
    object_key: { ...objectOptions.object_key, required: true },
    size: { ...objectOptions.size, required: true },
    checksum: { ...objectOptions.checksum, required: true },
    service_type: { ...objectOptions.service_type, default: "std" as const },
    container_format: { ...objectOptions.container_format, default: "none" as const },
  },
  async run({ store }: Ctx, _args, o) {
    await addRow(store, "backup_objects", "backupObject", o.uuid, async (db) => {
      await requireRow(db, "backup_storages", o.storage_id!, "--storage-id");
      await requireRow(db, "accounts", o.account_id!, "--account-id");
      return {
        account_id: o.account_id!,
        backup_storage_id: o.storage_id!,
        display_name: o.display_name ?? null,
        object_key: o.object_key!,
        size: o.size!,
        allocation_size: o.allocation_size ?? o.size!,
        checksum: o.checksum!,
        container_format: o.container_format!,
        description: o.description ?? null,
        service_type: o.service_type!,
        state: "available" as const,
      };
    });
  },
});

const modify = command({
  name: "modify",
  summary: "Modify the backup object",
  args: [arg("UUID", objectUuid)],
  options: objectOptions,
  async run({ store }: Ctx, [id], o) {
    await modifyRow(store, "backup_objects", id!, o, async (db) => {
      if (o.storage_id) await requireRow(db, "backup_storages", o.storage_id, "--storage-id");
      if (o.account_id) await requireRow(db, "accounts", o.account_id, "--account-id");
      const { storage_id, ...columns } = o;
      return { ...columns, backup_storage_id: storage_id };
    });
  },
});

const show = showCommand({
  table: "backup_objects",
  uuid: objectUuid,
  words: "backup objects",
  record: backupObjectRecord,
  columns: ["UUID", "Account ID", "Size", "Checksum", "Service Type", "Name"],
  row: (r) => [r.id, r.account_id, r.size, r.checksum.slice(0, 10), r.service_type, r.display_name],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Account ID", r.account_id],
    ["Backup Storage UUID", r.backup_storage_id],
    ["Object Key", r.object_key],
    ["Size", `${r.size} (Alloc Size: ${r.allocation_size})`],
    ["Checksum", r.checksum],
    ["Container Format", r.container_format],
    ["Service Type", r.service_type],
    ["State", r.state],
    ["Description", r.description],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

const del = delCommand({
  table: "backup_objects",
  uuid: objectUuid,
  summary: "Deregister the backup object",
  inUse: (db, id) => backupObjectInUse(db, id, (image) => `vdc-manage image del ${image}`),
});

export const backupObjectCommands: CommandGroup<Ctx> = {
  name: "backupobject",
  summary: "Register, change and list backup objects (image files in a backup storage)",
  commands: [add, modify, del, show],
};
