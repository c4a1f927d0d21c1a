// The Launch Instance dialog's Windows options, shown for Windows images: the
// guest's firewall, automatic activation (against a KMS host when one is
// given), a product key (checked as it is typed, by dcmgr's own rule) and the
// first boot's tries at the password. Empty fields leave dcmgr's defaults.
import { FieldError } from "./launch-field.js";
import type { LaunchField, LaunchForm } from "./launch-rules.js";
import { productKeyProblem } from "./launch-rules.js";

export function WindowsOptionsFields(props: {
  form: LaunchForm;
  set: (change: Partial<LaunchForm>) => void;
  errors: Partial<Record<LaunchField, string>>;
}) {
  const { form, set, errors } = props;
  const flag = (name: "windows_firewall" | "auto_activate", label: string) => (
    <label class="inline">
      <input
        type="checkbox"
        name={name}
        checked={form[name] === "true"}
        onChange={(e) => set({ [name]: e.currentTarget.checked ? "true" : "" })}
      />
      {label}
      <FieldError for={name} message={errors[name]} />
    </label>
  );
  const keyProblem = productKeyProblem(form.product_key);
  return (
    <fieldset class="windows-options">
      <legend>Windows options</legend>
      {flag("windows_firewall", "Firewall on (remote desktop let in)")}
      {flag("auto_activate", "Activate Windows at first boot")}
      <label>
        KMS host
        <input
          name="kms_host"
          value={form.kms_host}
          placeholder="kms.example.com:1688 (Microsoft's activation when empty)"
          disabled={form.auto_activate !== "true"}
          onInput={(e) => set({ kms_host: e.currentTarget.value.trim() })}
        />
        <FieldError for="kms_host" message={errors.kms_host} />
      </label>
      <label>
        Product key
        <input
          name="product_key"
          value={form.product_key}
          placeholder="XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (the image's own when empty)"
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => set({ product_key: e.currentTarget.value.trim() })}
          aria-invalid={keyProblem ? "true" : undefined}
        />
        {keyProblem && <small class="error">{keyProblem}</small>}
        <FieldError for="product_key" message={errors.product_key} />
      </label>
      <label>
        Tries at the first password
        <input
          name="password_retries"
          type="number"
          min={1}
          max={100}
          value={form.password_retries}
          placeholder="10"
          onInput={(e) => set({ password_retries: e.currentTarget.value })}
        />
        <FieldError for="password_retries" message={errors.password_retries} />
      </label>
    </fieldset>
  );
}
