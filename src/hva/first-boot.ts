// The host's part of a Windows first boot once the guest has powered off
// (guest-protocol.md, steps 7 and 9): take pw.enc if it is exactly the key's
// modulus long, and delete first-boot so no later boot makes a new password.
import { metadataPaths } from "../model/guest-protocol.js";
import { parseSshPublicKey } from "../model/ssh-public-key.js";
import { deleteMetadataFile, readMetadataFile } from "./metadata-drive.js";

export type CollectedPassword = { encryptedPassword: string } | { error: string };

export async function collectPassword(drive: string, publicKey: string): Promise<CollectedPassword> {
  const encrypted = await readMetadataFile(drive, metadataPaths.encryptedPassword);
  // first-boot goes whatever came of it: the second boot must not try again.
  await deleteMetadataFile(drive, metadataPaths.firstBoot);
  const bits = parseSshPublicKey(publicKey).bits ?? 0;
  if (!encrypted || encrypted.length === 0)
    return { error: "password not generated: the guest wrote no pw.enc" };
  if (encrypted.length !== bits / 8) {
    return {
      error: `password not generated: pw.enc has ${encrypted.length} bytes, the ${bits}-bit key needs ${bits / 8}`,
    };
  }
  return { encryptedPassword: encrypted.toString("base64") };
}
