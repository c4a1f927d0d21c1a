// The launch fields typed in: the hostname, checked as it is typed by the
// rule dcmgr applies (and Windows' own), the display name and the user data.
import { FieldError, type FieldProps } from "./launch-field.js";
import { hostnameProblem } from "./launch-rules.js";

export function HostnameField(props: FieldProps & { windows: boolean }) {
  const problem = hostnameProblem(props.value, props.windows);
  return (
    <label>
      Hostname
      <input
        name="hostname"
        value={props.value}
        placeholder="the instance id"
        onInput={(e) => props.onChange(e.currentTarget.value.trim())}
        aria-invalid={problem ? "true" : undefined}
      />
      {problem && <small class="error">{problem}</small>}
      <FieldError for="hostname" message={props.error} />
    </label>
  );
}

export function DisplayNameField(props: FieldProps) {
  return (
    <label>
      Display name
      <input name="display_name" value={props.value} onInput={(e) => props.onChange(e.currentTarget.value)} />
      <FieldError for="display_name" message={props.error} />
    </label>
  );
}

export function UserDataField(props: FieldProps) {
  return (
    <label>
      User data
      <textarea
        name="user_data"
        rows={3}
        value={props.value}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
      <FieldError for="user_data" message={props.error} />
    </label>
  );
}
