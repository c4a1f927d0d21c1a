// OpenSSH public keys (`ssh-rsa AAAA... comment`): checking what a user
// pastes, the fingerprint ssh-keygen shows, and writing an RSA key in that
// form. Computation only, no I/O.
import { createHash, type KeyObject } from "node:crypto";

export interface SshPublicKey {
  /** ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ... */
  type: string;
  bits: number | null;
  /** `SHA256:...`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The key as one normalized line: type, base64, comment. */
  line: string;
}

export class SshKeyError extends Error {}

const keyTypes: Record<string, number | null> = {
  "ssh-rsa": null,
  "ssh-ed25519": 256,
  "ecdsa-sha2-nistp256": 256,
  "ecdsa-sha2-nistp384": 384,
  "ecdsa-sha2-nistp521": 521,
};

export const minimumRsaBits = 2048;

export function parseSshPublicKey(text: string): SshPublicKey {
  const trimmed = text.trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) {
    throw new SshKeyError(
      "this is a private key: never send it; paste the public key instead (the .pub file, one line starting ssh-rsa)",
    );
  }
  const [type, data, ...comment] = trimmed.split(/\s+/);
  if (!type || !data || !(type in keyTypes)) {
    throw new SshKeyError(
      `not an OpenSSH public key: expected one line 'ssh-rsa AAAA... comment' (types: ${Object.keys(keyTypes).join(", ")})`,
    );
  }
  if (trimmed.includes("\n")) throw new SshKeyError("give one key on one line");
  const blob = Buffer.from(data, "base64");
  if (blob.length < 16 || blob.toString("base64").replace(/=+$/, "") !== data.replace(/=+$/, "")) {
    throw new SshKeyError("the key's base64 part is damaged: copy the whole line of the .pub file");
  }
  const fields = readStrings(blob);
  if (fields[0]?.toString() !== type) {
    throw new SshKeyError(
      `the key says it is ${type} but its data is not: copy the whole line of the .pub file`,
    );
  }
  let bits = keyTypes[type] ?? null;
  if (type === "ssh-rsa") {
    const modulus = fields[2];
    if (!modulus) throw new SshKeyError("the RSA key has no modulus: copy the whole line of the .pub file");
    bits = bitLength(modulus);
    if (bits < minimumRsaBits) {
      throw new SshKeyError(
        `this RSA key has ${bits} bits; at least ${minimumRsaBits} are needed (make one with ssh-keygen -t rsa -b 3072)`,
      );
    }
  }
  const fingerprint = `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
  return { type, bits, fingerprint, line: [type, data, ...comment].join(" ") };
}

/** An RSA public key as an OpenSSH line, e.g. for a server-generated key pair. */
export function rsaPublicKeyToOpenSsh(key: KeyObject, comment: string): string {
  const jwk = key.export({ format: "jwk" });
  const blob = Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    sshString(mpint(Buffer.from(jwk.e!, "base64url"))),
    sshString(mpint(Buffer.from(jwk.n!, "base64url"))),
  ]);
  return `ssh-rsa ${blob.toString("base64")} ${comment}`;
}

/** The length-prefixed strings of an SSH wire-format blob. */
function readStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 4 <= blob.length) {
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length)
      throw new SshKeyError("the key's data is cut short: copy the whole line of the .pub file");
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

function bitLength(mpintBytes: Buffer): number {
  let i = 0;
  while (i < mpintBytes.length && mpintBytes[i] === 0) i++;
  if (i === mpintBytes.length) return 0;
  return (mpintBytes.length - i - 1) * 8 + (32 - Math.clz32(mpintBytes[i]!));
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** A positive integer in SSH mpint form: a leading zero byte when the top bit is set. */
function mpint(b: Buffer): Buffer {
  return b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
}
