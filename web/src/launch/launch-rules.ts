// What the Launch Instance dialog checks before it lets a launch go, decided
// without I/O: the same rules as dcmgr (security group rules are parsed by
// the module dcmgr uses) plus Windows' own limit on computer names.
import { allowsPort, parseRules, RuleError } from "../../../src/model/security-group-rules.js";
import type { Image, InstanceSpec, SecurityGroup, SshKeyPair } from "../api/types.js";

/** The rule the seed document gives Windows instances: remote desktop from anywhere. */
export const rdpRule = "tcp:3389,3389,ip4:0.0.0.0";

/** Windows' computer name is a NetBIOS name: at most 15 characters. */
export const windowsNameLimit = 15;

export const isWindows = (image: Image | undefined) => image?.os_type === "windows";

/** Why this key cannot be used for a Windows instance, or null: the password is encrypted with RSA-OAEP. */
export function keyProblemForWindows(key: SshKeyPair): string | null {
  return key.key_type === "ssh-rsa"
    ? null
    : `${key.key_type.replace(/^ssh-/, "")} keys cannot encrypt the Windows password: use an RSA key`;
}

export function hostnameProblem(name: string, windows: boolean): string | null {
  if (name === "") return null;
  if (name.length > 63 || !/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(name))
    return "letters, digits and inner dashes, up to 63";
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

/** The spec to propose: kvm.xlarge for Windows (as the seed launches it), else the smallest. */
export function proposedSpec(specs: readonly InstanceSpec[], windows: boolean): string {
  if (windows && specs.some((s) => s.name === "kvm.xlarge")) return "kvm.xlarge";
  return [...specs].sort((a, b) => a.memory_size - b.memory_size)[0]?.name ?? "";
}

export interface LaunchChoice {
  image: Image | undefined;
  spec: string;
  key: SshKeyPair | undefined;
  hostname: string;
}

/** Why the launch button is disabled, or null when the launch may go. */
export function launchBlocker(c: LaunchChoice): string | null {
  if (!c.image) return "choose an image";
  if (!c.spec) return "choose an instance spec";
  const windows = isWindows(c.image);
  if (windows && !c.key)
    return "Windows images need an RSA ssh key: the initial password is encrypted with it";
  if (windows && c.key && keyProblemForWindows(c.key)) return keyProblemForWindows(c.key);
  const host = hostnameProblem(c.hostname, windows);
  if (host) return `hostname: ${host}`;
  return null;
}

/** The form field an API error is about: its message names it first ("hostname: ..."), or asks for it. */
export function fieldOfMessage(message: string, fields: readonly string[]): string | null {
  for (const f of fields) if (message.startsWith(`${f}:`) || message.startsWith(`${f} `)) return f;
  for (const f of fields) if (message.includes(`give ${f}`)) return f;
  return null;
}
