// Removing a backup object's stored file from its backup storage: a file
// under a file:// storage, or an HTTP DELETE to an http(s) one (WebDAV, an
// S3-style bucket). One already gone counts as removed.
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { objectUri } from "../model/object-key.js";

/** How long a storage may take to answer a DELETE. */
const deleteTimeoutMs = 20_000;

export async function removeStoredObject(storageUri: string, objectKey: string): Promise<void> {
  const uri = objectUri(storageUri, objectKey);
  const url = new URL(uri);
  if (url.protocol === "file:") {
    await rm(fileURLToPath(url), { force: true });
    return;
  }
  const res = await fetch(url, { method: "DELETE", signal: AbortSignal.timeout(deleteTimeoutMs) });
  if (!res.ok && res.status !== 404)
    throw new Error(`the backup storage answered HTTP ${res.status} to DELETE ${uri}`);
}
