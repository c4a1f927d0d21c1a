// Against DNS rebinding: a page on rebind.example can point its name at
// 127.0.0.1 and have a browser on this host call dcmgr as if it were its
// own site, and dcmgr on loopback trusts the account header alone. Such a
// request carries the attacker's name in its Host header, so dcmgr answers
// only requests addressed to localhost, to an IP address (a page can only
// have an address as its origin by being served from it: no rebinding), or
// to a name the operator gave (`server-name`). Pure.
import { isIP } from "node:net";

/** The host name of a Host header (`name:port`, `[v6]:port`), lower case, without a final dot. */
export function hostOfHeader(header: string): string {
  const bracketed = /^\[([^\]]*)\](:\d+)?$/.exec(header);
  const host = bracketed ? bracketed[1]! : header.replace(/:\d+$/, "");
  return host.toLowerCase().replace(/\.$/, "");
}

/** Whether a request with this Host header is addressed to this dcmgr. */
export function hostAllowed(header: string | undefined, serverNames: readonly string[]): boolean {
  if (!header) return false;
  const host = hostOfHeader(header);
  return host === "localhost" || isIP(host) !== 0 || serverNames.some((n) => n.toLowerCase() === host);
}

/** What a refused request is told: how the operator lets that name in, if it is theirs. */
export function hostRefusal(header: string | undefined): string {
  return header
    ? `this dcmgr answers requests addressed to localhost, an IP address or a name of its server-name option, not '${hostOfHeader(header)}': if that name is this server's, add it (dcmgr --server-name, or server-name in dcmgr.conf)`
    : "the request has no Host header: HTTP/1.1 needs one";
}
