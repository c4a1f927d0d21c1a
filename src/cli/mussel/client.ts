// mussel's HTTP calls: form bodies as the original's curl sent them, the
// account header, and API errors turned into one clear line.
import { trustedCas, trustedFetch } from "../../net/trusted-fetch.js";
import { UserError } from "../errors.js";
import type { MusselConfig } from "./config.js";

export type Params = Record<string, string | string[] | undefined>;

export class ApiCallError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly errorName: string,
  ) {
    super(message);
  }
}

export interface Answer {
  body: string;
  contentType: string;
}

export async function call(
  config: MusselConfig,
  method: string,
  path: string,
  opts: { params?: Params; query?: Params; format?: "json" | "yml" } = {},
): Promise<Answer> {
  const format = opts.format ?? config.format;
  const query = encode(opts.query ?? {});
  const url = `${config.baseUri}${path}.${format}${query ? `?${query}` : ""}`;
  const headers: Record<string, string> = { "X-VDC-Account-ID": config.accountId };
  if (config.apiToken) headers.Authorization = `Bearer ${config.apiToken}`;
  let body: string | undefined;
  if (opts.params) {
    body = encode(opts.params);
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  }
  let res: Response;
  try {
    res = await fetchFor(config)(url, { method, headers, body });
  } catch (err) {
    // Node's fetch hides the socket error in `cause`, or in `cause.errors` when it tried IPv4 and IPv6.
    const cause = (err as { cause?: { code?: string; errors?: { code?: string }[]; message?: string } })
      .cause;
    const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
    throw new UserError(
      /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(reason)
        ? `cannot trust dcmgr at ${config.baseUri} (${reason}): give its CA certificate with DCMGR_CA_FILE`
        : `cannot reach dcmgr at ${config.baseUri} (${reason}): is it running? (DCMGR_HOST, DCMGR_PORT, DCMGR_SCHEME)`,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    let name = `HTTP ${res.status}`;
    let message = text.trim();
    try {
      const e = JSON.parse(text) as { error?: string; message?: string };
      name = e.error?.replace(/^Dcmgr::Endpoints::Errors::/, "") ?? name;
      message = e.message ?? message;
    } catch {
      const m = /:message: (.*)/.exec(text);
      const n = /:error: Dcmgr::Endpoints::Errors::(\S+)/.exec(text);
      if (m) message = m[1]!.replace(/^"(.*)"$/, "$1");
      if (n) name = n[1]!;
    }
    throw new ApiCallError(`${message} (${name})`, res.status, name);
  }
  return { body: text, contentType: res.headers.get("content-type") ?? "" };
}

/** fetch trusting the configured CA file (a clear refusal when it cannot be read). */
function fetchFor(config: MusselConfig) {
  try {
    return trustedFetch(config.caFile ? trustedCas(config.caFile) : undefined);
  } catch (err) {
    throw new UserError(`DCMGR_CA_FILE: ${(err as Error).message}`);
  }
}

function encode(params: Params): string {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(`${key}[]`, v);
    else out.append(key, value);
  }
  return out.toString();
}
