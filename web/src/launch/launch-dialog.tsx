// The Launch Instance dialog: image, spec (kvm.xlarge proposed for Windows),
// security groups (with an offer of a remote desktop group when none chosen
// opens 3389), ssh key (required and RSA for Windows), hostname, display
// name and user data. The button stays disabled with the reason beside it;
// an API error is shown next to the field it names.
import { useEffect, useState } from "preact/hooks";
import { ApiProblem, api } from "../api/client.js";
import type { Image, Instance, InstanceSpec, SecurityGroup, SshKeyPair } from "../api/types.js";
import { Alert } from "../components/alert.js";
import { Modal } from "../components/modal.js";
import { useList } from "../state/resource.js";
import {
  fieldOfMessage,
  hostnameProblem,
  isWindows,
  keyProblemForWindows,
  launchBlocker,
  opensRdp,
  proposedSpec,
  rdpRule,
} from "./launch-rules.js";

const fields = [
  "image_id",
  "instance_spec_name",
  "security_groups",
  "ssh_key_id",
  "hostname",
  "display_name",
  "user_data",
] as const;
type FieldName = (typeof fields)[number];

function FieldError(props: { for: FieldName; errors: Partial<Record<FieldName, string>> }) {
  const m = props.errors[props.for];
  return m ? (
    <small class="error" role="alert" id={`${props.for}-error`}>
      {m}
    </small>
  ) : null;
}

export function LaunchDialog(props: { onClose: () => void; onLaunched: (id: string) => void }) {
  const images = useList<Image>("/images");
  const specs = useList<InstanceSpec>("/instance_specs");
  const keys = useList<SshKeyPair>("/ssh_key_pairs");
  const groups = useList<SecurityGroup>("/security_groups");
  const [imageId, setImageId] = useState("");
  const [spec, setSpec] = useState("");
  const [specTouched, setSpecTouched] = useState(false);
  const [chosenGroups, setChosenGroups] = useState<string[]>([]);
  const [keyId, setKeyId] = useState("");
  const [hostname, setHostname] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [userData, setUserData] = useState("");
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [general, setGeneral] = useState("");
  const [busy, setBusy] = useState(false);

  const image = images.rows?.find((i) => i.id === imageId);
  const windows = isWindows(image);
  const key = keys.rows?.find((k) => k.id === keyId);
  useEffect(() => {
    if (!imageId && images.rows?.length) setImageId(images.rows[0]!.id);
  }, [images.rows]);
  useEffect(() => {
    if (specs.rows && !specTouched) setSpec(proposedSpec(specs.rows, windows));
  }, [specs.rows, windows, specTouched]);

  const blocker = launchBlocker({ image, spec, key, hostname });
  const chosen = (groups.rows ?? []).filter((g) => chosenGroups.includes(g.id));
  const rdpMissing = windows && !chosen.some(opensRdp);
  const rdpGroup = (groups.rows ?? []).find(opensRdp);

  const createRdpGroup = async () => {
    try {
      const g = await api<SecurityGroup>("POST", "/security_groups", {
        rule: rdpRule,
        display_name: "remote desktop",
        description: "RDP from anywhere, for Windows instances",
      });
      await groups.reload();
      setChosenGroups((c) => [...c, g.id]);
    } catch (err) {
      setErrors((e) => ({ ...e, security_groups: (err as Error).message }));
    }
  };

  const launch = async (e: Event) => {
    e.preventDefault();
    if (blocker || busy) return;
    setBusy(true);
    setErrors({});
    setGeneral("");
    try {
      const made = await api<Instance>("POST", "/instances", {
        image_id: imageId,
        instance_spec_name: spec,
        ...(chosenGroups.length && { security_groups: chosenGroups }),
        ...(keyId && { ssh_key_id: keyId }),
        ...(hostname && { hostname }),
        ...(displayName && { display_name: displayName }),
        ...(userData && { user_data: userData }),
      });
      props.onLaunched(made.id);
    } catch (err) {
      const message = (err as Error).message;
      const field = err instanceof ApiProblem ? fieldOfMessage(message, fields) : null;
      if (field) setErrors({ [field]: message });
      else setGeneral(message);
      setBusy(false);
    }
  };

  const loadError = images.error ?? specs.error ?? keys.error ?? groups.error;
  return (
    <Modal title="Launch Instance" onClose={props.onClose} wide>
      <form class="launch" onSubmit={launch}>
        {loadError && <p class="error">{loadError}</p>}
        <label>
          Image
          <select value={imageId} onChange={(e) => setImageId(e.currentTarget.value)} name="image_id">
            {(images.rows ?? []).map((i) => (
              <option value={i.id}>
                {i.display_name} ({i.id}, {i.os_type})
              </option>
            ))}
          </select>
          <FieldError for="image_id" errors={errors} />
        </label>
        <label>
          Instance spec
          <select
            value={spec}
            name="instance_spec_name"
            onChange={(e) => {
              setSpecTouched(true);
              setSpec(e.currentTarget.value);
            }}
          >
            {(specs.rows ?? []).map((s) => (
              <option value={s.name}>
                {s.name}: {s.cpu_cores} CPU, {s.memory_size} MB
              </option>
            ))}
          </select>
          {windows && spec === "kvm.xlarge" && !specTouched && (
            <small>kvm.xlarge is proposed for Windows</small>
          )}
          <FieldError for="instance_spec_name" errors={errors} />
        </label>
        <fieldset>
          <legend>Security groups</legend>
          {(groups.rows ?? []).length === 0 && <small>No security groups yet.</small>}
          {(groups.rows ?? []).map((g) => (
            <label class="inline">
              <input
                type="checkbox"
                name="security_groups"
                value={g.id}
                checked={chosenGroups.includes(g.id)}
                onChange={(e) =>
                  setChosenGroups((c) =>
                    e.currentTarget.checked ? [...c, g.id] : c.filter((x) => x !== g.id),
                  )
                }
              />
              {g.display_name ?? g.id} <code>{g.rule.split("\n").filter(Boolean).join("; ")}</code>
            </label>
          ))}
          {rdpMissing && (
            <p class="hint" role="note">
              No chosen group opens tcp 3389, so remote desktop will not reach this Windows instance.{" "}
              {rdpGroup ? (
                <button
                  type="button"
                  class="small"
                  onClick={() => setChosenGroups((c) => [...c, rdpGroup.id])}
                >
                  Add {rdpGroup.display_name ?? rdpGroup.id}
                </button>
              ) : (
                <button type="button" class="small" onClick={createRdpGroup}>
                  Create a group with {rdpRule}
                </button>
              )}
            </p>
          )}
          <FieldError for="security_groups" errors={errors} />
        </fieldset>
        <label>
          SSH key {windows && "(required: the Administrator password is encrypted with it)"}
          <select value={keyId} name="ssh_key_id" onChange={(e) => setKeyId(e.currentTarget.value)}>
            <option value="">{windows ? "choose an RSA key" : "none"}</option>
            {(keys.rows ?? []).map((k) => {
              const problem = windows ? keyProblemForWindows(k) : null;
              return (
                <option value={k.id}>
                  {k.display_name ?? k.id} ({k.key_type}
                  {k.key_bits ? ` ${k.key_bits}` : ""}){problem ? ` — unusable for Windows: ${problem}` : ""}
                </option>
              );
            })}
          </select>
          {(keys.rows ?? []).length === 0 && (
            <small>
              No keys yet: <a href="#/ssh-keys">import or generate one</a>.
            </small>
          )}
          <FieldError for="ssh_key_id" errors={errors} />
        </label>
        <label>
          Hostname
          <input
            name="hostname"
            value={hostname}
            placeholder="the instance id"
            onInput={(e) => setHostname(e.currentTarget.value.trim())}
            aria-invalid={hostnameProblem(hostname, windows) ? "true" : undefined}
          />
          {hostnameProblem(hostname, windows) && (
            <small class="error">{hostnameProblem(hostname, windows)}</small>
          )}
          <FieldError for="hostname" errors={errors} />
        </label>
        <label>
          Display name
          <input
            name="display_name"
            value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
          />
          <FieldError for="display_name" errors={errors} />
        </label>
        <label>
          User data
          <textarea
            name="user_data"
            rows={3}
            value={userData}
            onInput={(e) => setUserData(e.currentTarget.value)}
          />
          <FieldError for="user_data" errors={errors} />
        </label>
        <Alert message={general} />
        <footer>
          {blocker && (
            <span class="blocker" id="launch-blocker">
              {blocker}
            </span>
          )}
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            class="primary"
            disabled={blocker !== null || busy}
            aria-describedby={blocker ? "launch-blocker" : undefined}
          >
            Launch
          </button>
        </footer>
      </form>
    </Modal>
  );
}
