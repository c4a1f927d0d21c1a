// Reading the private key a user decrypts their password with: PEM PKCS#1
// (`BEGIN RSA PRIVATE KEY`), PKCS#8, and OpenSSH's own format (`BEGIN OPENSSH
// PRIVATE KEY`, ssh-keygen's default), each plain or passphrase-protected.
// Computation only: the caller reads the file and asks for the passphrase.
// The OpenSSH format's parsing is shared with the web GUI (openssh-key-format.ts).
import { createDecipheriv, createPrivateKey, type KeyObject } from "node:crypto";
import {
  isOpenSshKey,
  openSshCipherKey,
  openSshContainer,
  PassphraseError,
  PrivateKeyError,
  rsaJwk,
  rsaKeyParts,
} from "./openssh-key-format.js";

export { isOpenSshKey, PassphraseError, PrivateKeyError };

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

function readOpenSshKey(text: string, passphrase?: string): KeyObject {
  const c = openSshContainer(text);
  let secret = c.secret;
  if (c.cipher !== "none") {
    const { mode, key, iv } = openSshCipherKey(c, passphrase);
    const decipher = createDecipheriv(`aes-${key.length * 8}-${mode}`, key, iv);
    decipher.setAutoPadding(false);
    secret = Buffer.concat([decipher.update(secret), decipher.final()]);
  }
  return createPrivateKey({ format: "jwk", key: rsaJwk(rsaKeyParts(secret, c.cipher !== "none")) as never });
}
