// What the Launch Instance dialog decides without I/O: dcmgr's launch rules
// (src/model/launch-rules.ts, called as dcmgr calls them), Windows' own
// limits on computer names, its advice (the spec to propose, a remote
// desktop group), and the request its form makes.
import { FieldError } from "../../../src/model/fields.js";
import {
  hostnameField,
  isWindows,
  keyServesWindows,
  windowsKeyRule,
} from "../../../src/model/launch-rules.js";
import { allowsPort, parseRules, RuleError } from "../../../src/model/security-group-rules.js";
import { productKeyField } from "../../../src/model/windows-options.js";
import type { Image, InstanceSpec, SecurityGroup, SshKeyPair } from "../api/types.js";

/** The dialog's fields, named as the API names them, so that an error's `field` finds its place. */
export interface LaunchForm {
  image_id: string;
  instance_spec_name: string;
  security_groups: string[];
  ssh_key_id: string;
  hostname: string;
  display_name: string;
  user_data: string;
  // Windows options ("true" or empty for the flags): sent for Windows images only.
  windows_firewall: string;
  auto_activate: string;
  kms_host: string;
  product_key: string;
  password_retries: string;
}

const windowsOptionFields = [
  "windows_firewall",
  "auto_activate",
  "kms_host",
  "product_key",
  "password_retries",
] as const;

export type LaunchField = keyof LaunchForm;

export const emptyLaunchForm: LaunchForm = {
  image_id: "",
  instance_spec_name: "",
  security_groups: [],
  ssh_key_id: "",
  hostname: "",
  display_name: "",
  user_data: "",
  windows_firewall: "",
  auto_activate: "",
  kms_host: "",
  product_key: "",
  password_retries: "",
};

/**
 * The POST /instances body: a field left empty is left out, so that dcmgr
 * applies its default; the Windows options only for a Windows image (dcmgr
 * refuses them for others), the KMS host only with activation.
 */
export function launchRequest(form: LaunchForm, windows: boolean): Partial<LaunchForm> {
  const dropped = new Set<string>(windows ? (form.auto_activate ? [] : ["kms_host"]) : windowsOptionFields);
  return Object.fromEntries(
    Object.entries(form).filter(([name, value]) => value.length > 0 && !dropped.has(name)),
  ) as Partial<LaunchForm>;
}

/** Why the product key typed will not do, or null (none is fine: the image's own stays). */
export function productKeyProblem(key: string): string | null {
  if (key === "") return null;
  try {
    productKeyField.parse(key);
    return null;
  } catch (err) {
    if (err instanceof FieldError) return `product key ${err.message}`;
    throw err;
  }
}

/** The form field an API error names, or null when it names none of the dialog's (it is shown below them all). */
export function launchFieldNamed(field: string | undefined): LaunchField | null {
  return field !== undefined && Object.hasOwn(emptyLaunchForm, field) ? (field as LaunchField) : null;
}

/** The rule the seed document gives Windows instances: remote desktop from anywhere. */
export const rdpRule = "tcp:3389,3389,ip4:0.0.0.0";

/** The spec the seed launches Windows with, proposed for a Windows image. */
export const windowsSpec = "kvm.xlarge";

/** Windows' computer name is a NetBIOS name: at most 15 characters. */
export const windowsNameLimit = 15;

/** Why this key cannot be used for a Windows instance, or null. */
export function keyProblemForWindows(key: SshKeyPair): string | null {
  return keyServesWindows(key.key_type)
    ? null
    : `${key.key_type.replace(/^ssh-/, "")} keys cannot encrypt the Windows password: use an RSA key`;
}

/** Why this hostname will not do, or null; none is fine: dcmgr names the instance after its uuid. */
export function hostnameProblem(name: string, windows: boolean): string | null {
  if (name === "") return null;
  try {
    hostnameField.parse(name);
  } catch (err) {
    if (err instanceof FieldError) return err.message;
    throw err;
  }
  if (windows && name.length > windowsNameLimit)
    return `Windows computer names are at most ${windowsNameLimit} characters; this one has ${name.length}`;
  if (windows && /^[0-9]+$/.test(name)) return "a Windows computer name cannot be digits only";
  return null;
}

/** Whether the group lets remote desktop (tcp 3389) in from somewhere. */
export function opensRdp(group: SecurityGroup): boolean {
  try {
    return allowsPort(parseRules(group.rule), "tcp", 3389);
  } catch (err) {
    if (err instanceof RuleError) return false;
    throw err;
  }
}

/** The spec to propose: the seed's for Windows, else the smallest. */
export function proposedSpec(specs: readonly InstanceSpec[], windows: boolean): string {
  if (windows && specs.some((s) => s.name === windowsSpec)) return windowsSpec;
  return [...specs].sort((a, b) => a.memory_size - b.memory_size)[0]?.name ?? "";
}

export interface LaunchChoice {
  image: Image | undefined;
  spec: string;
  key: SshKeyPair | undefined;
  hostname: string;
  productKey: string;
}

/** Why the launch button is disabled, or null when the launch may go. */
export function launchBlocker(c: LaunchChoice): string | null {
  if (!c.image) return "choose an image";
  // dcmgr launches available images only; a backup's is creating until its host has written it.
  if (c.image.state === "creating")
    return `${c.image.id} is still being written (${c.image.progress ?? 0}%): launch it once it is available`;
  if (c.image.state === "failed")
    return `${c.image.id} failed: its backup was not written; choose an available image`;
  if (c.image.state !== "available") return `${c.image.id} is ${c.image.state}: choose an available image`;
  if (!c.spec) return "choose an instance spec";
  const windows = isWindows(c.image.os_type);
  if (windows) {
    const keyProblem = c.key ? keyProblemForWindows(c.key) : windowsKeyRule;
    if (keyProblem) return keyProblem;
  }
  const host = hostnameProblem(c.hostname, windows);
  if (host) return `hostname: ${host}`;
  const key = windows ? productKeyProblem(c.productKey) : null;
  if (key) return key;
  return null;
}
