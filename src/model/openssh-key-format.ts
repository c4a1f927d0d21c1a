// OpenSSH's own private key format (`BEGIN OPENSSH PRIVATE KEY`, what
// ssh-keygen writes by default), read into the parts of an RSA key. Pure and
// free of Node's Buffer: mussel (node:crypto) and the web GUI (WebCrypto)
// both read keys with it and only decrypt with their own AES.
import bcryptPbkdf from "bcrypt-pbkdf";

export class PrivateKeyError extends Error {}
/** The key is protected and no passphrase (or a wrong one) was given. */
export class PassphraseError extends PrivateKeyError {}

export const isOpenSshKey = (text: string) => text.includes("-----BEGIN OPENSSH PRIVATE KEY-----");

export interface OpenSshContainer {
  /** "none" for a key without a passphrase. */
  cipher: string;
  kdf: string;
  kdfOptions: Uint8Array;
  /** The secret part, encrypted unless cipher is "none". */
  secret: Uint8Array;
}

const damaged = () => new PrivateKeyError("the OpenSSH private key is damaged: copy the whole file");

export function openSshContainer(text: string): OpenSshContainer {
  const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  let data: Uint8Array;
  try {
    data = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    throw damaged();
  }
  const magic = "openssh-key-v1\0";
  if (String.fromCharCode(...data.subarray(0, magic.length)) !== magic) throw damaged();
  const r = new SshReader(data.subarray(magic.length));
  const cipher = r.text();
  const kdf = r.text();
  const kdfOptions = r.bytes();
  if (r.uint32() !== 1)
    throw new PrivateKeyError("the OpenSSH file holds several keys: give a file with one");
  r.bytes(); // the public key, repeated inside the secret part
  return { cipher, kdf, kdfOptions, secret: r.bytes() };
}

/** The ciphers ssh-keygen protects keys with, and what their bcrypt KDF must derive. */
export const openSshCiphers: Record<string, { mode: "ctr" | "cbc"; keyLength: number }> = {
  "aes256-ctr": { mode: "ctr", keyLength: 32 },
  "aes128-ctr": { mode: "ctr", keyLength: 16 },
  "aes256-cbc": { mode: "cbc", keyLength: 32 },
};

/** The AES key and IV a passphrase gives for this container (bcrypt_pbkdf, as ssh-keygen). */
export function openSshCipherKey(
  c: OpenSshContainer,
  passphrase: string | undefined,
): { mode: "ctr" | "cbc"; key: Uint8Array; iv: Uint8Array } {
  const cipher = openSshCiphers[c.cipher];
  if (!cipher || c.kdf !== "bcrypt") {
    throw new PrivateKeyError(
      `the key is protected with ${c.cipher}/${c.kdf}, which cannot be read here: convert it with 'ssh-keygen -p -m PEM -f KEYFILE'`,
    );
  }
  if (!passphrase) throw new PassphraseError("the key is protected by a passphrase");
  const opts = new SshReader(c.kdfOptions);
  const salt = opts.bytes();
  const rounds = opts.uint32();
  const derived = new Uint8Array(cipher.keyLength + 16);
  const pass = new TextEncoder().encode(passphrase);
  bcryptPbkdf.pbkdf(pass, pass.length, salt, salt.length, derived, derived.length, rounds);
  return {
    mode: cipher.mode,
    key: derived.subarray(0, cipher.keyLength),
    iv: derived.subarray(cipher.keyLength),
  };
}

export interface RsaKeyParts {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  iqmp: bigint;
}

/** The RSA key in a (decrypted) secret part; `protectedKey` tells a wrong passphrase from damage. */
export function rsaKeyParts(secret: Uint8Array, protectedKey: boolean): RsaKeyParts {
  const r = new SshReader(secret);
  // Two equal random words open the secret part: unequal ones mean a wrong passphrase.
  const check1 = r.uint32();
  const check2 = r.uint32();
  if (check1 !== check2) {
    throw protectedKey ? new PassphraseError("the key's passphrase is wrong") : damaged();
  }
  const type = r.text();
  if (type !== "ssh-rsa") {
    throw new PrivateKeyError(`this is an ${type} key; only RSA keys can decrypt a Windows password`);
  }
  const [n, e, d, iqmp, p, q] = [r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()];
  return { n: n!, e: e!, d: d!, p: p!, q: q!, iqmp: iqmp! };
}

/** The key as a JSON Web Key, which node:crypto and WebCrypto both import. */
export function rsaJwk(k: RsaKeyParts): JsonWebKey {
  const b64 = (x: bigint) => {
    let hex = x.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    const bytes = hex.match(/../g)!.map((h) => String.fromCharCode(Number.parseInt(h, 16)));
    return btoa(bytes.join("")).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  return {
    kty: "RSA",
    n: b64(k.n),
    e: b64(k.e),
    d: b64(k.d),
    p: b64(k.p),
    q: b64(k.q),
    dp: b64(k.d % (k.p - 1n)),
    dq: b64(k.d % (k.q - 1n)),
    qi: b64(k.iqmp),
  };
}

/** SSH wire format: big-endian lengths and length-prefixed strings. */
class SshReader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  uint32(): number {
    if (this.at + 4 > this.buf.length)
      throw new PrivateKeyError("the private key is cut short: copy the whole file");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 4).getUint32(0);
    this.at += 4;
    return v;
  }
  bytes(): Uint8Array {
    const len = this.uint32();
    if (this.at + len > this.buf.length)
      throw new PrivateKeyError("the private key is cut short: copy the whole file");
    const v = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    return v;
  }
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
  mpint(): bigint {
    const b = this.bytes();
    return b.length === 0 ? 0n : BigInt(`0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`);
  }
}
