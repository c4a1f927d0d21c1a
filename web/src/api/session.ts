// Who the page calls the API as: the same account header or bearer token as
// mussel and the API take. Kept in sessionStorage, so a closed tab forgets it.
const key = "wakame-ts.session";

export interface Session {
  accountId: string | null;
  token: string | null;
}

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(key);
  return raw ? (JSON.parse(raw) as Session) : null;
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(key, JSON.stringify(s));
  else sessionStorage.removeItem(key);
}

export function sessionHeaders(s: Session | null): Record<string, string> {
  const h: Record<string, string> = {};
  if (s?.accountId) h["X-VDC-Account-ID"] = s.accountId;
  if (s?.token) h.Authorization = `Bearer ${s.token}`;
  return h;
}
