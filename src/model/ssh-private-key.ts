// Reading the private key a user decrypts their password with: PEM PKCS#1
// (`BEGIN RSA PRIVATE KEY`), PKCS#8, and OpenSSH's own format (`BEGIN OPENSSH
// PRIVATE KEY`, ssh-keygen's default), each plain or passphrase-protected.
// Computation only: the caller reads the file and asks for the passphrase.
import { createDecipheriv, createPrivateKey, type KeyObject } from "node:crypto";
import bcryptPbkdf from "bcrypt-pbkdf";

export class PrivateKeyError extends Error {}
/** The key is protected and no passphrase (or a wrong one) was given. */
export class PassphraseError extends PrivateKeyError {}

export function isOpenSshKey(text: string): boolean {
  return text.includes("-----BEGIN OPENSSH PRIVATE KEY-----");
}

/** Whether the key needs a passphrase to be read. */
export function needsPassphrase(text: string): boolean {
  if (isOpenSshKey(text)) return openSshContainer(text).cipher !== "none";
  return /Proc-Type: 4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(text);
}

export function readPrivateKey(text: string, passphrase?: string): KeyObject {
  if (isOpenSshKey(text)) return readOpenSshKey(text, passphrase);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new PrivateKeyError(
      "not a private key: give the PEM or OpenSSH private key file (e.g. ~/.ssh/id_rsa)",
    );
  }
  try {
    return createPrivateKey({ key: text, format: "pem", passphrase });
  } catch (err) {
    if (needsPassphrase(text)) throw new PassphraseError("the key's passphrase is wrong or missing");
    throw new PrivateKeyError(`the private key does not parse: ${(err as Error).message}`);
  }
}

interface Container {
  cipher: string;
  kdf: string;
  kdfOptions: Buffer;
  secret: Buffer;
}

function openSshContainer(text: string): Container {
  const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  const data = Buffer.from(body, "base64");
  const magic = "openssh-key-v1\0";
  if (data.subarray(0, magic.length).toString("latin1") !== magic) {
    throw new PrivateKeyError("the OpenSSH private key is damaged: copy the whole file");
  }
  const r = new Reader(data.subarray(magic.length));
  const cipher = r.string().toString();
  const kdf = r.string().toString();
  const kdfOptions = r.string();
  if (r.uint32() !== 1)
    throw new PrivateKeyError("the OpenSSH file holds several keys: give a file with one");
  r.string(); // the public key, repeated inside the secret part
  return { cipher, kdf, kdfOptions, secret: r.string() };
}

const ciphers: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  "aes256-ctr": { name: "aes-256-ctr", keyLength: 32, ivLength: 16 },
  "aes128-ctr": { name: "aes-128-ctr", keyLength: 16, ivLength: 16 },
  "aes256-cbc": { name: "aes-256-cbc", keyLength: 32, ivLength: 16 },
};

function readOpenSshKey(text: string, passphrase?: string): KeyObject {
  const c = openSshContainer(text);
  let secret = c.secret;
  if (c.cipher !== "none") {
    const cipher = ciphers[c.cipher];
    if (!cipher || c.kdf !== "bcrypt") {
      throw new PrivateKeyError(
        `the key is protected with ${c.cipher}/${c.kdf}, which this client cannot read: convert it with 'ssh-keygen -p -m PEM -f KEYFILE'`,
      );
    }
    if (!passphrase) throw new PassphraseError("the key is protected by a passphrase");
    const opts = new Reader(c.kdfOptions);
    const salt = opts.string();
    const rounds = opts.uint32();
    const derived = new Uint8Array(cipher.keyLength + cipher.ivLength);
    const pass = Buffer.from(passphrase);
    bcryptPbkdf.pbkdf(pass, pass.length, salt, salt.length, derived, derived.length, rounds);
    const decipher = createDecipheriv(
      cipher.name,
      derived.subarray(0, cipher.keyLength),
      derived.subarray(cipher.keyLength),
    );
    decipher.setAutoPadding(false);
    secret = Buffer.concat([decipher.update(secret), decipher.final()]);
  }
  const r = new Reader(secret);
  // Two equal random words open the secret part: unequal ones mean a wrong passphrase.
  const check1 = r.uint32();
  const check2 = r.uint32();
  if (check1 !== check2) {
    throw c.cipher === "none"
      ? new PrivateKeyError("the OpenSSH private key is damaged: copy the whole file")
      : new PassphraseError("the key's passphrase is wrong");
  }
  const type = r.string().toString();
  if (type !== "ssh-rsa") {
    throw new PrivateKeyError(`this is an ${type} key; only RSA keys can decrypt a Windows password`);
  }
  const [n, e, d, iqmp, p, q] = [r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()];
  const b64 = (x: bigint) => {
    let hex = x.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    return Buffer.from(hex, "hex").toString("base64url");
  };
  return createPrivateKey({
    format: "jwk",
    key: {
      kty: "RSA",
      n: b64(n),
      e: b64(e),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(iqmp),
    },
  });
}

/** SSH wire format: big-endian lengths and length-prefixed strings. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  uint32(): number {
    if (this.at + 4 > this.buf.length)
      throw new PrivateKeyError("the private key is cut short: copy the whole file");
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  string(): Buffer {
    const len = this.uint32();
    if (this.at + len > this.buf.length)
      throw new PrivateKeyError("the private key is cut short: copy the whole file");
    const v = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    return v;
  }
  mpint(): bigint {
    const b = this.string();
    return b.length === 0 ? 0n : BigInt(`0x${b.toString("hex")}`);
  }
}
