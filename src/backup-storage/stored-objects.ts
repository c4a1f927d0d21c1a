// Reaching a backup object's stored file in its backup storage, the one place
// that knows how: a file under a `file://` storage (a directory of this
// machine), or HTTP to an `http(s)://` one (WebDAV: GET, PUT, DELETE, as the
// original's webdav storage). Host agents read and write objects; dcmgr
// removes them. A key that leads out of its storage is refused (object-key.ts).
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { fileURLToPath } from "node:url";
import { objectUri } from "../model/object-key.js";

/** How long a storage may take to answer a DELETE. */
const deleteTimeoutMs = 20_000;
/** How long an upload may go without the storage taking a byte (or answering, once all is sent). */
const stallMs = 60_000;

/** The object's bytes, as they stream from its storage. */
export async function openStoredObject(storageUri: string, objectKey: string): Promise<Readable> {
  const uri = objectUri(storageUri, objectKey);
  const url = new URL(uri);
  if (url.protocol === "file:") return createReadStream(fileURLToPath(url));
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`cannot fetch ${uri}: HTTP ${res.status}`);
  return Readable.fromWeb(res.body as never);
}

/** Where a `file://` storage keeps the object, or null for an HTTP one: a packer may write there directly. */
export function storedObjectPath(storageUri: string, objectKey: string): string | null {
  const url = new URL(objectUri(storageUri, objectKey));
  return url.protocol === "file:" ? fileURLToPath(url) : null;
}

/**
 * Sends the local file `from` to an HTTP storage as the object (PUT): a
 * WebDAV server writes the body to a temporary file and renames it once it
 * is all there, so a cut-off upload leaves nothing. (A `file://` storage is
 * written in place: storedObjectPath.) `progress` hears of the bytes sent.
 */
export async function putStoredObject(
  storageUri: string,
  objectKey: string,
  from: string,
  progress: (sent: number, total: number) => void = () => {},
): Promise<void> {
  const uri = objectUri(storageUri, objectKey);
  const { size } = await stat(from);
  let sent = 0;
  // A storage that stops taking the body (or answering) for this long ends the upload, as failed.
  const stalled = new AbortController();
  let watchdog = setTimeout(() => stalled.abort(), stallMs);
  const alive = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => stalled.abort(), stallMs);
  };
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      alive();
      progress(sent, size);
      done(null, chunk);
    },
  });
  const file = createReadStream(from);
  file.on("error", (err) => meter.destroy(err));
  try {
    const res = await fetch(uri, {
      method: "PUT",
      body: Readable.toWeb(file.pipe(meter)) as ReadableStream,
      headers: { "content-length": String(size), "content-type": "application/octet-stream" },
      duplex: "half",
      signal: stalled.signal,
    } as RequestInit).catch((err: Error & { cause?: { code?: string; message?: string } }) => {
      const why = stalled.signal.aborted
        ? `the storage took nothing for ${stallMs / 1000} s`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new Error(`cannot PUT ${uri}: ${why}`);
    });
    await res.arrayBuffer().catch(() => {});
    if (!res.ok) throw new Error(`the backup storage answered HTTP ${res.status} to PUT ${uri}`);
  } finally {
    clearTimeout(watchdog);
    file.destroy();
  }
}

/** Removes the object's file; one already gone counts as removed. */
export async function removeStoredObject(storageUri: string, objectKey: string): Promise<void> {
  const uri = objectUri(storageUri, objectKey);
  const url = new URL(uri);
  if (url.protocol === "file:") {
    const path = fileURLToPath(url);
    await rm(path, { force: true });
    await rm(`${path}.writing`, { force: true });
    return;
  }
  const res = await fetch(url, { method: "DELETE", signal: AbortSignal.timeout(deleteTimeoutMs) });
  if (!res.ok && res.status !== 404)
    throw new Error(`the backup storage answered HTTP ${res.status} to DELETE ${uri}`);
}
