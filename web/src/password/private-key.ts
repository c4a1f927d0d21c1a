// The user's private key, read in the page and handed to WebCrypto as an
// RSA-OAEP (SHA-1) decryption key: PEM PKCS#1 (`BEGIN RSA PRIVATE KEY`,
// plain or with OpenSSL's passphrase), PKCS#8 (plain or encrypted with
// PBES2) and OpenSSH's format (openssh-key-format.ts, shared with mussel).
// The key text never leaves this module: nothing here calls the network.
import {
  isOpenSshKey,
  openSshCipherKey,
  openSshContainer,
  PassphraseError,
  PrivateKeyError,
  rsaJwk,
  rsaKeyParts,
} from "../../../src/model/openssh-key-format.js";
import { children, integer, oid, pkcs1ToPkcs8 } from "./der.js";
import { md5 } from "./md5.js";

export { PassphraseError, PrivateKeyError };

const oaep = { name: "RSA-OAEP", hash: "SHA-1" } as const;

interface Pem {
  label: string;
  headers: Record<string, string>;
  der: Uint8Array;
}

function readPem(text: string): Pem | null {
  const m = /-----BEGIN ([A-Z ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return null;
  const headers: Record<string, string> = {};
  const lines = m[2]!.split(/\r?\n/);
  const body: string[] = [];
  for (const line of lines) {
    const h = /^([A-Za-z-]+): (.*)$/.exec(line);
    if (h) headers[h[1]!] = h[2]!;
    else body.push(line.trim());
  }
  try {
    return { label: m[1]!, headers, der: Uint8Array.from(atob(body.join("")), (c) => c.charCodeAt(0)) };
  } catch {
    throw new PrivateKeyError("the key file is damaged: copy the whole file");
  }
}

export function keyNeedsPassphrase(text: string): boolean {
  if (isOpenSshKey(text)) return openSshContainer(text).cipher !== "none";
  const pem = readPem(text);
  return (
    pem !== null && (pem.label === "ENCRYPTED PRIVATE KEY" || pem.headers["Proc-Type"] === "4,ENCRYPTED")
  );
}

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const buf = (b: Uint8Array) => b.slice().buffer as ArrayBuffer;

/** Whether `plain` is one DER SEQUENCE and nothing else, as a decrypted key is. */
function oneSequence(plain: Uint8Array): boolean {
  try {
    const nodes = children(plain);
    return nodes.length === 1 && nodes[0]!.tag === 0x30;
  } catch {
    return false;
  }
}

/** The key decrypted with the key derived from the passphrase; a wrong passphrase is told as such. */
async function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", buf(key), "AES-CBC", false, ["decrypt"]);
  const wrong = new PassphraseError("the key's passphrase is wrong");
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: buf(iv) }, k, buf(data)));
  } catch {
    // Bad padding after decryption: the key derived from the passphrase is not the one used.
    throw wrong;
  }
  // The padding of a wrong key's output is valid about once in 256 tries: what it leaves is no key.
  if (!oneSequence(plain)) throw wrong;
  return plain;
}

/** OpenSSL's traditional encryption: key = MD5 chain over passphrase and the IV's first 8 bytes (EVP_BytesToKey). */
async function decryptTraditional(pem: Pem, passphrase: string): Promise<Uint8Array> {
  const m = /^AES-(128|192|256)-CBC,([0-9A-Fa-f]{32})$/.exec(pem.headers["DEK-Info"] ?? "");
  if (!m) {
    throw new PrivateKeyError(
      `the key is protected with ${pem.headers["DEK-Info"]?.split(",")[0]}, which the browser cannot read: convert it with 'ssh-keygen -p -f KEYFILE'`,
    );
  }
  const iv = hex(m[2]!);
  const pass = new TextEncoder().encode(passphrase);
  const keyLength = Number(m[1]) / 8;
  let key: Uint8Array = new Uint8Array(0);
  let block: Uint8Array = new Uint8Array(0);
  while (key.length < keyLength) {
    block = md5(Uint8Array.from([...block, ...pass, ...iv.subarray(0, 8)]));
    key = Uint8Array.from([...key, ...block]);
  }
  return aesCbc(key.subarray(0, keyLength), iv, pem.der);
}

const hashes: Record<string, string> = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};
const aesOids: Record<string, number> = {
  "2.16.840.1.101.3.4.1.2": 16,
  "2.16.840.1.101.3.4.1.22": 24,
  "2.16.840.1.101.3.4.1.42": 32,
};

/** EncryptedPrivateKeyInfo with PBES2 (PBKDF2 and AES-CBC): what `openssl pkcs8 -topk8` and `ssh-keygen -m PKCS8` write. */
async function decryptPkcs8(der: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const unreadable = () =>
    new PrivateKeyError(
      "the encrypted PKCS#8 key uses a scheme the browser cannot read: convert it with 'ssh-keygen -p -f KEYFILE'",
    );
  try {
    const [info] = children(der);
    const [algorithm, encrypted] = children(info!.body);
    const [scheme, params] = children(algorithm!.body);
    if (oid(scheme!.body) !== "1.2.840.113549.1.5.13") throw unreadable();
    const [kdf, cipher] = children(params!.body);
    const [kdfOid, kdfParams] = children(kdf!.body);
    if (oid(kdfOid!.body) !== "1.2.840.113549.1.5.12") throw unreadable();
    const [salt, iterations, ...rest] = children(kdfParams!.body);
    const prf = rest.find((n) => n.tag === 0x30);
    const hash = prf ? hashes[oid(children(prf.body)[0]!.body)] : "SHA-1";
    const [cipherOid, iv] = children(cipher!.body);
    const keyLength = aesOids[oid(cipherOid!.body)];
    if (!hash || !keyLength) throw unreadable();
    const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(passphrase), "PBKDF2", false, [
      "deriveBits",
    ]);
    const key = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", salt: buf(salt!.body), iterations: integer(iterations!.body), hash },
        base,
        keyLength * 8,
      ),
    );
    return aesCbc(key, iv!.body, encrypted!.body);
  } catch (err) {
    if (err instanceof PrivateKeyError) throw err;
    throw new PrivateKeyError("the encrypted key does not parse: copy the whole file");
  }
}

async function importPkcs8(der: Uint8Array): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("pkcs8", buf(der), oaep, false, ["decrypt"]);
  } catch {
    throw new PrivateKeyError("this is not an RSA private key: only RSA keys can decrypt a Windows password");
  }
}

async function importOpenSsh(text: string, passphrase: string | undefined): Promise<CryptoKey> {
  const c = openSshContainer(text);
  let secret = c.secret;
  if (c.cipher !== "none") {
    const { mode, key, iv } = openSshCipherKey(c, passphrase);
    if (mode !== "ctr")
      throw new PrivateKeyError(
        `the key is protected with ${c.cipher}, which the browser cannot read: convert it with 'ssh-keygen -p -f KEYFILE'`,
      );
    const k = await crypto.subtle.importKey("raw", buf(key), "AES-CTR", false, ["decrypt"]);
    secret = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-CTR", counter: buf(iv), length: 128 }, k, buf(secret)),
    );
  }
  const jwk = rsaJwk(rsaKeyParts(secret, c.cipher !== "none"));
  return crypto.subtle.importKey("jwk", { ...jwk, alg: "RSA-OAEP", ext: false }, oaep, false, ["decrypt"]);
}

/** The key as a WebCrypto key that can only decrypt, never be read back. */
export async function importPrivateKey(text: string, passphrase?: string): Promise<CryptoKey> {
  if (isOpenSshKey(text)) return importOpenSsh(text, passphrase);
  const pem = readPem(text);
  if (!pem || !/PRIVATE KEY$/.test(pem.label))
    throw new PrivateKeyError(
      "not a private key: choose the PEM or OpenSSH private key file (e.g. ~/.ssh/id_rsa), not the .pub",
    );
  if (keyNeedsPassphrase(text) && !passphrase)
    throw new PassphraseError("the key is protected by a passphrase");
  switch (pem.label) {
    case "RSA PRIVATE KEY":
      return importPkcs8(
        pkcs1ToPkcs8(pem.headers["Proc-Type"] ? await decryptTraditional(pem, passphrase!) : pem.der),
      );
    case "PRIVATE KEY":
      return importPkcs8(pem.der);
    case "ENCRYPTED PRIVATE KEY":
      return importPkcs8(await decryptPkcs8(pem.der, passphrase!));
    default:
      throw new PrivateKeyError(
        `this is an ${pem.label.replace(/ PRIVATE KEY$/, "")} key; only RSA keys can decrypt a Windows password`,
      );
  }
}

/** The password the guest encrypted (guest-protocol.md: RSA-OAEP SHA-1, base64); throws if this key is not the one. */
export async function decryptWithKey(key: CryptoKey, encryptedBase64: string): Promise<string> {
  const data = Uint8Array.from(atob(encryptedBase64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "RSA-OAEP" }, key, data));
}
