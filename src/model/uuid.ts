// Resource uuids: a prefix naming the kind of resource, a dash, and a body of
// lowercase letters and digits. Generated bodies are 8 characters; bodies chosen
// by an operator may be longer (the seed document registers `hn-demo1` and
// `wmi-windows2008r2`), as the original accepted any base-36 body.

export const uuidPrefixes = {
  account: "a",
  hostNode: "hn",
  image: "wmi",
  backupObject: "bo",
  backupStorage: "bkst",
  sshKeyPair: "ssh",
  securityGroup: "sg",
  network: "nw",
  vif: "vif",
  instance: "i",
  move: "mv",
  evacuation: "ev",
} as const;

export type ResourceKind = keyof typeof uuidPrefixes;

/** The words a user reads in messages, e.g. "host node". */
export const resourceWords: Record<ResourceKind, string> = {
  account: "account",
  hostNode: "host node",
  image: "image",
  backupObject: "backup object",
  backupStorage: "backup storage",
  sshKeyPair: "ssh key pair",
  securityGroup: "security group",
  network: "network",
  vif: "vif",
  instance: "instance",
  move: "move",
  evacuation: "evacuation",
};

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
export const maxUuidBodyLength = 32;

/** A uuid without its prefix (vif-abc -> abc): names of host interfaces, chains and sets. */
export const uuidBody = (uuid: string) => uuid.slice(uuid.indexOf("-") + 1);

export function generateUuid(kind: ResourceKind): string {
  // Web Crypto (global in Node and browsers), so the web GUI can use this module too.
  // Bytes of 252 and above are drawn again: 252 is 7 x 36, so every character is equally likely.
  let body = "";
  while (body.length < 8) {
    for (const b of crypto.getRandomValues(new Uint8Array(16))) {
      if (b < 252 && body.length < 8) body += alphabet[b % alphabet.length];
    }
  }
  return `${uuidPrefixes[kind]}-${body}`;
}

/** Why `value` is not a uuid of this kind, or undefined when it is one. */
export function uuidProblem(kind: ResourceKind, value: string): string | undefined {
  const prefix = uuidPrefixes[kind];
  if (!value.startsWith(`${prefix}-`)) {
    const article = /^[aeiou]/.test(resourceWords[kind]) ? "an" : "a";
    return `must start with '${prefix}-' (${article} ${resourceWords[kind]} uuid), e.g. ${prefix}-demo1xyz`;
  }
  const body = value.slice(prefix.length + 1);
  if (body.length === 0 || body.length > maxUuidBodyLength || !/^[a-z0-9]+$/.test(body)) {
    return `must be '${prefix}-' followed by 1 to ${maxUuidBodyLength} lowercase letters or digits, e.g. ${prefix}-demo1xyz`;
  }
  return undefined;
}
