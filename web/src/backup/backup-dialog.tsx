// The Create image dialog (PUT /instances/:id/backup): name, description,
// public, cached on hosts, and for Windows whether to generalize (sysprep).
// The instance is the live one, so the Create button follows its state: it
// stays disabled with dcmgr's reason beside it while dcmgr would refuse.
// What only dcmgr can tell comes back from the request and is shown under
// the field it names. The progress is then the instance's (backup-note.tsx).
import { useEffect, useState } from "preact/hooks";
import { isWindows } from "../../../src/model/launch-rules.js";
import { api } from "../api/client.js";
import type { Image, Instance } from "../api/types.js";
import { Alert } from "../components/alert.js";
import { FormFooter } from "../components/form-footer.js";
import { useFormRequest } from "../components/form-request.js";
import { Modal } from "../components/modal.js";
import {
  type BackupField,
  type BackupForm,
  backupBlocker,
  backupFieldNamed,
  backupRequest,
  emptyBackupForm,
  textProblem,
} from "./backup-rules.js";

type Errors = Partial<Record<BackupField, string>>;

function FieldError(props: { for: BackupField; errors: Errors }) {
  const message = props.errors[props.for];
  return message ? (
    <small class="error" role="alert" id={`${props.for}-error`}>
      {message}
    </small>
  ) : null;
}

export function BackupDialog(props: { instance: Instance; onClose: () => void }) {
  const i = props.instance;
  const windows = isWindows(i.os_type);
  const [form, setForm] = useState<BackupForm>(emptyBackupForm);
  // The instance's image: dcmgr's defaults for the name and "cached on hosts" come from it.
  const [source, setSource] = useState<Image | null>(null);
  const { errors, general, busy, submit } = useFormRequest(backupFieldNamed);
  const set = (change: Partial<BackupForm>) => setForm((f) => ({ ...f, ...change }));
  useEffect(() => {
    // Without it the dialog still works: the defaults are then dcmgr's, unseen.
    api<Image>("GET", `/images/${i.image_id}`)
      .then(setSource)
      .catch(() => {});
  }, [i.image_id]);

  const blocker = backupBlocker(i, form);
  const create = submit(blocker, async () => {
    await api("PUT", `/instances/${i.id}/backup`, backupRequest(form, windows));
    props.onClose();
  });

  const typed = (field: "display_name" | "description", label: string, placeholder: string) => {
    const problem = textProblem(field, form[field]);
    return (
      <label>
        {label}
        <input
          name={field}
          value={form[field]}
          placeholder={placeholder}
          onInput={(e) => set({ [field]: e.currentTarget.value })}
          aria-invalid={problem ? "true" : undefined}
        />
        {problem && <small class="error">{problem}</small>}
        <FieldError for={field} errors={errors} />
      </label>
    );
  };

  return (
    <Modal title={`Create image from ${i.id}`} onClose={props.onClose}>
      <form onSubmit={create}>
        <p>
          Its disk becomes a new image, written by its host; the progress shows on the instance. Power actions
          wait until the image is available or failed.
        </p>
        {typed(
          "display_name",
          "Name",
          source ? `${source.display_name} (backup of ${i.id})` : `(backup of ${i.id})`,
        )}
        {typed("description", "Description", "")}
        <label class="inline">
          <input
            type="checkbox"
            name="is_public"
            checked={form.is_public}
            onChange={(e) => set({ is_public: e.currentTarget.checked })}
          />
          Public: every account can launch it
          <FieldError for="is_public" errors={errors} />
        </label>
        <label class="inline">
          <input
            type="checkbox"
            name="is_cacheable"
            checked={form.is_cacheable ?? source?.is_cacheable ?? false}
            onChange={(e) => set({ is_cacheable: e.currentTarget.checked })}
          />
          Cached on hosts
          <small class="sub">(as {source ? source.id : "the instance's image"} is, unless changed)</small>
          <FieldError for="is_cacheable" errors={errors} />
        </label>
        {windows && (
          <fieldset>
            <legend>Windows</legend>
            <label class="inline">
              <input
                type="checkbox"
                name="generalize"
                checked={form.generalize}
                onChange={(e) => set({ generalize: e.currentTarget.checked })}
                aria-describedby="generalize-how"
              />
              Generalize (sysprep): instances of the image get a new password at their first boot
            </label>
            <small class="sub" id="generalize-how">
              Without it the instance must be halted, and the image keeps this instance's Administrator
              password: instances of it have no first boot and no new password. With it a running instance is
              shut down by its guest, which runs sysprep first, and its own stored password is forgotten.
            </small>
            <FieldError for="generalize" errors={errors} />
          </fieldset>
        )}
        <Alert message={general} />
        <FormFooter
          blocker={blocker}
          blockerId="backup-blocker"
          busy={busy}
          action="Create image"
          onCancel={props.onClose}
        />
      </form>
    </Modal>
  );
}
