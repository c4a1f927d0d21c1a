// Calls of the user API (/api/12.03) with the session's credentials. An
// error answer becomes an ApiProblem carrying the API's own message, and the
// request field it is about when the API names one.
import { loadSession, sessionHeaders } from "./session.js";

export const apiBase = "/api/12.03";

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    /** The error class without its namespace, e.g. InvalidParameter. */
    readonly kind: string,
    message: string,
    /** The request field the API says the error is about (`hostname`), for a form to show it there. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Whether the sign-in page should be shown instead: no credentials, or ones the API refused. */
export const signInNeeded = (err: unknown) =>
  err instanceof ApiProblem &&
  (err.status === 401 || err.kind === "InvalidCredentialHeaders" || err.kind === "InvalidRequestCredentials");

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${apiBase}${path}`, {
    method,
    headers: {
      ...sessionHeaders(loadSession()),
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    let kind = "Error";
    let message = text || res.statusText;
    let field: string | undefined;
    try {
      const e = JSON.parse(text) as { error?: string; message?: string; field?: string };
      kind = (e.error ?? kind).split("::").at(-1)!;
      message = e.message ?? message;
      field = e.field;
    } catch {
      // Not the API's error shape (a proxy's page): its text is the message.
    }
    throw new ApiProblem(res.status, kind, message, field);
  }
  return JSON.parse(text) as T;
}

/** Every row of a paged list (the original's `[{total, start, limit, results}]`). */
export async function listAll<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; ; ) {
    const sep = path.includes("?") ? "&" : "?";
    const [page] = await api<{ total: number; results: T[] }[]>(
      "GET",
      `${path}${sep}start=${start}&limit=1000`,
    );
    out.push(...page!.results);
    start += page!.results.length;
    if (page!.results.length === 0 || start >= page!.total) return out;
  }
}
