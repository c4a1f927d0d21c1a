// The launch fields chosen from a list: the image (with the virtual hardware
// it boots on), the instance spec and the ssh key, the last saying which keys
// a Windows image cannot use.
import { hardwareWords } from "../../../src/model/image-features.js";
import type { Image, InstanceSpec, SshKeyPair } from "../api/types.js";
import { FieldError, type FieldProps } from "./launch-field.js";
import { keyProblemForWindows, windowsSpec } from "./launch-rules.js";

type ChoiceProps<T> = FieldProps & { rows: T[] };

export function ImageField(props: ChoiceProps<Image>) {
  const chosen = props.rows.find((i) => i.id === props.value);
  return (
    <label>
      Image
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} name="image_id">
        {props.rows.map((i) => (
          <option value={i.id}>
            {i.display_name} ({i.id}, {i.os_type}){i.state === "available" ? "" : `: ${i.state}`}
          </option>
        ))}
      </select>
      {chosen && <small class="sub">Boots on: {hardwareWords(chosen.features)}</small>}
      <FieldError for="image_id" message={props.error} />
    </label>
  );
}

/** `proposedForWindows`: the dialog chose the spec for a Windows image, and says so until the user chooses. */
export function SpecField(props: ChoiceProps<InstanceSpec> & { proposedForWindows: boolean }) {
  return (
    <label>
      Instance spec
      <select
        value={props.value}
        name="instance_spec_name"
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.rows.map((s) => (
          <option value={s.name}>
            {s.name}: {s.cpu_cores} CPU, {s.memory_size} MB
          </option>
        ))}
      </select>
      {props.proposedForWindows && props.value === windowsSpec && (
        <small>{windowsSpec} is proposed for Windows</small>
      )}
      <FieldError for="instance_spec_name" message={props.error} />
    </label>
  );
}

export function SshKeyField(props: ChoiceProps<SshKeyPair> & { windows: boolean }) {
  const { windows } = props;
  return (
    <label>
      SSH key {windows && "(required: the Administrator password is encrypted with it)"}
      <select value={props.value} name="ssh_key_id" onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{windows ? "choose an RSA key" : "none"}</option>
        {props.rows.map((k) => {
          const problem = windows ? keyProblemForWindows(k) : null;
          return (
            <option value={k.id}>
              {k.display_name ?? k.id} ({k.key_type}
              {k.key_bits ? ` ${k.key_bits}` : ""}){problem ? ` — unusable for Windows: ${problem}` : ""}
            </option>
          );
        })}
      </select>
      {props.rows.length === 0 && (
        <small>
          No keys yet: <a href="#/ssh-keys">import or generate one</a>.
        </small>
      )}
      <FieldError for="ssh_key_id" message={props.error} />
    </label>
  );
}
