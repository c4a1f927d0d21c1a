// `vdc-manage image`: a machine image, made from a backup object, that
// instances launch from. `features --virtio` and `modify --os-type=windows`
// are what make an image a Windows image (seed document).
import { enumField, flagField, textField, uuidField } from "../../model/fields.js";
import { featuresProblem } from "../../model/image-features.js";
import { givenFields } from "../../model/shape.js";
import { arches, defaultAccountId, fileFormats, osTypes, serviceTypes } from "../../model/vocabulary.js";
import { imageInUse } from "../../store/in-use.js";
import { flag, imageRecord } from "../../store/records.js";
import { arg, type CommandGroup, command } from "../command.js";
import { UsageError } from "../errors.js";
import { addRow, type Ctx, modifyRow, requireRow } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const imageUuid = uuidField("image");
const backupObjectUuid = uuidField("backupObject");

const rootDeviceField = textField({
  max: 255,
  pattern: /^(label|uuid):[A-Za-z0-9._-]+$/,
  patternWords: "label:NAME or uuid:ID of the root partition, e.g. label:root",
});

const imageOptions = {
  account_id: {
    field: uuidField("account"),
    desc: "The UUID of the account that this machine image belongs to",
  },
  arch: { field: enumField(arches), desc: "The architecture for the machine image" },
  is_public: { field: flagField, desc: "A flag that determines whether the machine image is public or not" },
  description: { field: textField({ max: 4096 }), desc: "An arbitrary description of the machine image" },
  file_format: { field: enumField(fileFormats), desc: "The file format for the machine image" },
  root_device: { field: rootDeviceField, desc: "The root device of image" },
  service_type: { field: enumField(serviceTypes), desc: "Service type of the machine image" },
  display_name: { field: textField(), desc: "Display name of the machine image" },
  is_cacheable: {
    field: flagField,
    desc: "A flag that determines whether the machine image is cacheable or not",
  },
  os_type: { field: enumField(osTypes), desc: "The type of OS installed in this image" },
};

const featureOptions = {
  virtio: { field: flagField, desc: "Virtio ready image (--no-virtio to clear)" },
  acpi: { field: flagField, desc: "ACPI support enabled (--no-acpi to clear)" },
  uefi: {
    field: flagField,
    desc: "Boots on UEFI firmware (OVMF, q35) instead of the BIOS (--no-uefi to clear)",
  },
  secure_boot: {
    field: flagField,
    desc: "UEFI Secure Boot enforced: only signed boot loaders run; needs --uefi (--no-secure-boot to clear)",
  },
  tpm: { field: flagField, desc: "A TPM 2.0 of each instance's own, kept with it (--no-tpm to clear)" },
};

/** The image's features after the given options: each --X sets X, each --no-X clears it. */
function changedFeatures(current: Record<string, boolean>, given: Partial<Record<string, boolean>>): string {
  const set = { ...current };
  for (const [name, on] of Object.entries(givenFields(given))) {
    if (on) set[name] = true;
    else delete set[name];
  }
  const problem = featuresProblem(set);
  if (problem) throw new UsageError(problem);
  return JSON.stringify(set);
}

const addLocal = command({
  name: "local",
  summary: "Register local store machine image",
  args: [arg("BACKUP_OBJECT_UUID", backupObjectUuid)],
  options: {
    uuid: { field: imageUuid, desc: "The UUID for the new machine image" },
    ...imageOptions,
    account_id: { ...imageOptions.account_id, default: defaultAccountId },
    arch: { ...imageOptions.arch, default: "x86_64" as const },
    is_public: { ...imageOptions.is_public, default: false },
    file_format: { ...imageOptions.file_format, default: "raw" as const },
    service_type: { ...imageOptions.service_type, default: "std" as const },
    display_name: { ...imageOptions.display_name, required: true },
    is_cacheable: { ...imageOptions.is_cacheable, default: false },
    os_type: { ...imageOptions.os_type, default: "linux" as const },
    ...featureOptions,
  },
  async run({ store }: Ctx, [backupObjectId], o) {
    const { virtio, acpi, uefi, secure_boot, tpm } = o;
    const features = changedFeatures({}, { virtio, acpi, uefi, secure_boot, tpm });
    await addRow(store, "images", "image", o.uuid, async (db) => {
      await requireRow(db, "backup_objects", backupObjectId!, "BACKUP_OBJECT_UUID");
      await requireRow(db, "accounts", o.account_id!, "--account-id");
      return {
        account_id: o.account_id!,
        backup_object_id: backupObjectId!,
        boot_dev_type: "local",
        arch: o.arch!,
        description: o.description ?? null,
        file_format: o.file_format!,
        root_device: o.root_device ?? null,
        service_type: o.service_type!,
        display_name: o.display_name!,
        is_public: flag(o.is_public!),
        is_cacheable: flag(o.is_cacheable!),
        os_type: o.os_type!,
        features,
        state: "available",
      };
    });
  },
});

const modify = command({
  name: "modify",
  summary: "Modify a registered machine image",
  args: [arg("UUID", imageUuid)],
  options: {
    ...imageOptions,
    backup_object_id: { field: backupObjectUuid, desc: "Backup object for the machine image" },
  },
  async run({ store }: Ctx, [id], o) {
    await modifyRow(store, "images", id!, o, async (db) => {
      if (o.backup_object_id)
        await requireRow(db, "backup_objects", o.backup_object_id, "--backup-object-id");
      if (o.account_id) await requireRow(db, "accounts", o.account_id, "--account-id");
      const { is_public, is_cacheable, ...columns } = o;
      return {
        ...columns,
        is_public: is_public === undefined ? undefined : flag(is_public),
        is_cacheable: is_cacheable === undefined ? undefined : flag(is_cacheable),
      };
    });
  },
});

const features = command({
  name: "features",
  summary: "Set features attribute to the image",
  args: [arg("IMAGE_ID", imageUuid)],
  options: featureOptions,
  async run({ store }: Ctx, [id], o) {
    await modifyRow(store, "images", id!, o, async (_db, image) => ({
      features: changedFeatures(JSON.parse(image.features), o),
    }));
  },
});

const show = showCommand({
  table: "images",
  uuid: imageUuid,
  words: "machine images",
  record: imageRecord,
  columns: ["UUID", "Account ID", "Service Type", "Name", "OS Type", "Arch"],
  row: (r) => [r.id, r.account_id, r.service_type, r.display_name, r.os_type, r.arch],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Account ID", r.account_id],
    ["Backup Object ID", r.backup_object_id],
    ["Boot Type", r.boot_dev_type],
    ["Arch", r.arch],
    ["File Format", r.file_format],
    ["Root Device", r.root_device],
    ["Is Public", r.is_public],
    ["State", r.state],
    ["Service Type", r.service_type],
    ["Cacheable", r.is_cacheable],
    ["OS Type", r.os_type],
    ["Features", Object.keys(r.features).join(", ")],
    ["Description", r.description],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

const del = delCommand({
  table: "images",
  uuid: imageUuid,
  summary: "Delete registered machine image",
  inUse: imageInUse,
});

export const imageCommands: CommandGroup<Ctx> = {
  name: "image",
  summary: "Register, change and list machine images",
  commands: [
    { name: "add", summary: "Add image metadata [local]", commands: [addLocal] },
    modify,
    features,
    del,
    show,
  ],
};
