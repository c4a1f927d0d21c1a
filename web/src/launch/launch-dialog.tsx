// The Launch Instance dialog: image, spec (kvm.xlarge proposed for Windows),
// security groups (with an offer of a remote desktop group when none chosen
// opens 3389), ssh key (required and RSA for Windows), hostname, display
// name and user data, and for Windows images its options (firewall,
// activation, KMS host, product key, password tries). The button stays disabled with the reason beside it;
// an API error is shown under the field it names.
import { useEffect, useState } from "preact/hooks";
import { isWindows } from "../../../src/model/launch-rules.js";
import { api } from "../api/client.js";
import type { Image, Instance, InstanceSpec, SecurityGroup, SshKeyPair } from "../api/types.js";
import { Alert } from "../components/alert.js";
import { FormFooter } from "../components/form-footer.js";
import { useFormRequest } from "../components/form-request.js";
import { Modal } from "../components/modal.js";
import { useList } from "../state/resource.js";
import { ImageField, SpecField, SshKeyField } from "./choice-fields.js";
import {
  emptyLaunchForm,
  type LaunchForm,
  launchBlocker,
  launchFieldNamed,
  launchRequest,
  proposedSpec,
} from "./launch-rules.js";
import { SecurityGroupsField } from "./security-groups-field.js";
import { DisplayNameField, HostnameField, UserDataField } from "./text-fields.js";
import { WindowsOptionsFields } from "./windows-options-fields.js";

export function LaunchDialog(props: { onClose: () => void; onLaunched: (id: string) => void }) {
  const images = useList<Image>("/images");
  const specs = useList<InstanceSpec>("/instance_specs");
  const keys = useList<SshKeyPair>("/ssh_key_pairs");
  const groups = useList<SecurityGroup>("/security_groups");
  const [form, setForm] = useState<LaunchForm>(emptyLaunchForm);
  // Once the user picks a spec, the proposal no longer follows the image.
  const [specTouched, setSpecTouched] = useState(false);
  const { errors, setErrors, general, busy, submit } = useFormRequest(launchFieldNamed);
  const set = (change: Partial<LaunchForm>) => setForm((f) => ({ ...f, ...change }));
  /** What a field of one value takes: its value, its change and its API error. */
  const bind = (
    name: "image_id" | "instance_spec_name" | "ssh_key_id" | "hostname" | "display_name" | "user_data",
  ) => ({
    value: form[name],
    onChange: (value: string) => set({ [name]: value }),
    error: errors[name],
  });

  const image = images.rows?.find((i) => i.id === form.image_id);
  const windows = isWindows(image?.os_type);
  useEffect(() => {
    if (!form.image_id && images.rows?.length) set({ image_id: images.rows[0]!.id });
  }, [images.rows]);
  useEffect(() => {
    if (specs.rows && !specTouched) set({ instance_spec_name: proposedSpec(specs.rows, windows) });
  }, [specs.rows, windows, specTouched]);

  const blocker = launchBlocker({
    image,
    spec: form.instance_spec_name,
    key: keys.rows?.find((k) => k.id === form.ssh_key_id),
    hostname: form.hostname,
    productKey: form.product_key,
  });

  const launch = submit(blocker, async () => {
    const made = await api<Instance>("POST", "/instances", launchRequest(form, windows));
    props.onLaunched(made.id);
  });

  const loadError = images.error ?? specs.error ?? keys.error ?? groups.error;
  return (
    <Modal title="Launch Instance" onClose={props.onClose} wide>
      <form class="launch" onSubmit={launch}>
        {loadError && <p class="error">{loadError}</p>}
        <ImageField rows={images.rows ?? []} {...bind("image_id")} />
        <SpecField
          rows={specs.rows ?? []}
          {...bind("instance_spec_name")}
          onChange={(instance_spec_name) => {
            setSpecTouched(true);
            set({ instance_spec_name });
          }}
          proposedForWindows={windows && !specTouched}
        />
        <SecurityGroupsField
          groups={groups}
          chosen={form.security_groups}
          onChange={(update) => setForm((f) => ({ ...f, security_groups: update(f.security_groups) }))}
          windows={windows}
          error={errors.security_groups}
          onError={(message) => setErrors((e) => ({ ...e, security_groups: message }))}
        />
        <SshKeyField rows={keys.rows ?? []} windows={windows} {...bind("ssh_key_id")} />
        <HostnameField windows={windows} {...bind("hostname")} />
        <DisplayNameField {...bind("display_name")} />
        <UserDataField {...bind("user_data")} />
        {windows && <WindowsOptionsFields form={form} set={set} errors={errors} />}
        <Alert message={general} />
        <FormFooter
          blocker={blocker}
          blockerId="launch-blocker"
          busy={busy}
          action="Launch"
          onCancel={props.onClose}
        />
      </form>
    </Modal>
  );
}
