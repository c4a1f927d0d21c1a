// A backup object's key is a path inside its storage, and the two make the
// URI a host agent fetches. Both are checked where they are used: when the
// operator registers the object (vdc-manage) and when the agent builds the
// URI from what dcmgr tells it, so that no key leads out of its storage
// (`..`, encoded or not, backslashes, absolute paths, other schemes). Pure.

import { controlCharacterIn } from "./control-characters.js";

/** The schemes a backup storage may have. */
export const storageSchemes = ["file:", "http:", "https:"] as const;

/** Why `key` is no path inside a storage, or null when it is one. */
export function objectKeyProblem(key: string): string | null {
  if (key === "") return "it is empty";
  if (controlCharacterIn(key) !== null) return "it holds control characters";
  let decoded: string;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    return "its %-escapes are not valid";
  }
  for (const form of [key, decoded]) {
    if (form.includes("\\")) return "it holds a backslash";
    if (form.startsWith("/")) return "it is absolute";
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(form)) return "it names a scheme";
    if (form.split("/").some((segment) => segment === ".." || segment === ".")) return "it has . or .. in it";
    if (/[?#]/.test(form)) return "it holds ? or #";
  }
  return null;
}

/** Why `base` is no storage URI, or null when it is one. */
export function storageUriProblem(base: string): string | null {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return "it is not a URI";
  }
  if (!(storageSchemes as readonly string[]).includes(url.protocol))
    return `its scheme is ${url.protocol.slice(0, -1)}, not file, http or https`;
  return null;
}

/** The URI of `key` in the storage at `base`; throws, saying why, when either is not what it must be. */
export function objectUri(base: string, key: string): string {
  const baseProblem = storageUriProblem(base);
  if (baseProblem) throw new Error(`the backup storage URI '${base}' is refused: ${baseProblem}`);
  const keyProblem = objectKeyProblem(key);
  if (keyProblem) throw new Error(`the object key '${key}' is refused: ${keyProblem}`);
  const folder = base.endsWith("/") ? base : `${base}/`;
  const uri = new URL(key, folder);
  // What URL resolution made of the two must still be inside the storage.
  if (!uri.href.startsWith(new URL(folder).href))
    throw new Error(`the object key '${key}' leads out of the backup storage ${base}`);
  return uri.href;
}
