// HTTPS to dcmgr, trusting the certificate authority the operator names (a
// self-signed dcmgr's own certificate, as the packages make one) as well as
// Node's own CAs. Node's fetch takes no CA, so this is undici's fetch with an
// Agent that does; the console's WebSocket (ws) takes the same `ca`.
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";

export type Fetch = typeof fetch;

/** The certificates to trust: the CA file's and Node's own. A clear error when the file cannot be read. */
export function trustedCas(caFile: string): string[] {
  try {
    return [readFileSync(caFile, "utf8"), ...rootCertificates];
  } catch (err) {
    throw new Error(`cannot read the CA file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** fetch, trusting `ca`; the global fetch when there is none. */
export function trustedFetch(ca: readonly string[] | undefined): Fetch {
  if (!ca) return fetch;
  const dispatcher = new Agent({ connect: { ca: [...ca] } });
  return ((url: string | URL, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher } as never)) as unknown as Fetch;
}
