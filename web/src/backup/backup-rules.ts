// What the Create image dialog decides without I/O: when an instance can be
// backed up (dcmgr's own rule, src/model/backup.ts, called as dcmgr calls
// it, so the dialog cannot let through or hold back what dcmgr decides
// otherwise), what is wrong with a name or description as typed, the
// request its form makes and which of its fields an API error names.
import { backupRefusal, backupsUnderWay } from "../../../src/model/backup.js";
import { FieldError, textField } from "../../../src/model/fields.js";
import { isWindows } from "../../../src/model/launch-rules.js";
import type { OsType } from "../../../src/model/vocabulary.js";
import type { Instance } from "../api/types.js";

/** The dialog's fields, named as the API names them, so that an error's `field` finds its place. */
export interface BackupForm {
  display_name: string;
  description: string;
  is_public: boolean;
  /** null: as the instance's image (dcmgr's default), until the user ticks or unticks it. */
  is_cacheable: boolean | null;
  generalize: boolean;
}

export type BackupField = keyof BackupForm;

export const emptyBackupForm: BackupForm = {
  display_name: "",
  description: "",
  is_public: false,
  is_cacheable: null,
  generalize: false,
};

/** The backup object of the instance's backup still under way, or null. */
export function backupUnderWayOf(i: Pick<Instance, "backup">): string | null {
  const b = i.backup;
  return b && (backupsUnderWay as readonly string[]).includes(b.state) ? b.backup_object_id : null;
}

type Backed = Pick<Instance, "id" | "state" | "os_type" | "backup">;

/** Why dcmgr would refuse this backup now, in its words, with the field it is about; null: it would take it. */
export function backupRefusalOf(
  i: Backed,
  generalize: boolean,
  isPublic = false,
): { problem: string; field?: string } | null {
  const refusal = backupRefusal({
    instanceId: i.id,
    state: i.state,
    // Only "windows" is told apart; any other OS type is refused generalizing as linux is.
    osType: i.os_type as OsType,
    generalize,
    underWay: backupUnderWayOf(i),
    // A power action still under way is not in the instance's record: dcmgr says so if it is.
    requestedAction: null,
    isPublic,
  });
  return refusal && { problem: refusal.problem, ...(refusal.field && { field: refusal.field }) };
}

/**
 * Whether "Create image" is offered: some choice of the dialog's would be
 * taken (halted; running, for Windows, generalized), as the power buttons
 * are offered only where the API takes them.
 */
export function backupOffered(i: Backed): boolean {
  const choices = isWindows(i.os_type) ? [false, true] : [false];
  return choices.some((generalize) => backupRefusalOf(i, generalize) === null);
}

// The route's display_name and description (displayFields in src/dcmgr/routes/common.ts, which
// the page cannot import: it brings the store): one line of text, 255 and 4096 characters at most.
const textRules = { display_name: textField(), description: textField({ max: 4096 }) };

/** Why the name or description typed will not do, or null (empty is fine: dcmgr names the image). */
export function textProblem(field: "display_name" | "description", value: string): string | null {
  if (value === "") return null;
  try {
    textRules[field].parse(value);
    return null;
  } catch (err) {
    if (err instanceof FieldError)
      return `${field === "display_name" ? "name" : "description"} ${err.message}`;
    throw err;
  }
}

/** Why the Create button is disabled, or null when the backup may be asked. */
export function backupBlocker(i: Backed, form: BackupForm): string | null {
  const refusal = backupRefusalOf(i, isWindows(i.os_type) && form.generalize, form.is_public);
  if (refusal) return refusal.problem;
  return textProblem("display_name", form.display_name) ?? textProblem("description", form.description);
}

export type BackupRequest = Partial<Record<"display_name" | "description", string>> &
  Partial<Record<"is_public" | "is_cacheable" | "generalize", boolean>>;

/**
 * The PUT /instances/:id/backup body: empty text is left out (dcmgr names
 * the image after its source), "Cached on hosts" only once chosen (else the
 * instance's image decides), generalize only for Windows (dcmgr refuses it
 * for others).
 */
export function backupRequest(form: BackupForm, windows: boolean): BackupRequest {
  return {
    ...(form.display_name && { display_name: form.display_name }),
    ...(form.description && { description: form.description }),
    is_public: form.is_public,
    ...(form.is_cacheable !== null && { is_cacheable: form.is_cacheable }),
    ...(windows && { generalize: form.generalize }),
  };
}

/** The form field an API error names, or null when it names none of the dialog's (it is shown below them all). */
export function backupFieldNamed(field: string | undefined): BackupField | null {
  return field !== undefined && Object.hasOwn(emptyBackupForm, field) ? (field as BackupField) : null;
}
