// The initial password's encryption (guest-protocol.md): RSA-OAEP with SHA-1
// and MGF1-SHA-1 over the password's UTF-8 bytes, base64 in the API.
import { constants, type KeyObject, privateDecrypt, publicEncrypt } from "node:crypto";

const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" } as const;

export function decryptPassword(privateKey: KeyObject, encryptedBase64: string): string {
  return privateDecrypt({ key: privateKey, ...oaep }, Buffer.from(encryptedBase64, "base64")).toString(
    "utf8",
  );
}

/** What the guest does; for tests and for the host-side first-boot check. */
export function encryptPassword(publicKey: KeyObject, password: string): string {
  return publicEncrypt({ key: publicKey, ...oaep }, Buffer.from(password, "utf8")).toString("base64");
}
