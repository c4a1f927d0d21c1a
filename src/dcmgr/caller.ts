// Who is calling the user API. On loopback the account header is enough (as
// with the original); listening anywhere else, a bearer token is required and
// the header may only repeat the token's account, never name another.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { uuidProblem } from "../model/uuid.js";
import type { Store } from "../store/store.js";
import { errors } from "./errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The account the request acts for; every user route reads and writes only its rows. */
    accountId: string;
  }
}

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** The bearer token of a request, if any. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return m?.[1];
}

/** The subject a token of this kind maps to (an account or a host node), or undefined. */
export async function tokenSubject(store: Store, kind: "account" | "host_node", token: string) {
  const row = await store.db
    .selectFrom("api_tokens")
    .select("subject_id")
    .where("token_hash", "=", hashToken(token))
    .where("kind", "=", kind)
    .executeTakeFirst();
  return row?.subject_id;
}

export function installCaller(app: FastifyInstance, store: Store, requireTokens: boolean): void {
  app.decorateRequest("accountId", "");
  app.addHook("onRequest", async (req) => {
    const header = req.headers["x-vdc-account-id"] ?? req.headers.x_vdc_account_uuid;
    const claimed = Array.isArray(header) ? header[0] : header;
    const token = bearerToken(req);
    let tokenAccount: string | undefined;
    if (token) {
      tokenAccount = await tokenSubject(store, "account", token);
      if (!tokenAccount)
        throw errors.invalidRequestCredentials("the API token is not known: ask the operator for one");
    } else if (requireTokens) {
      throw errors.invalidCredentialHeaders(
        "this server listens beyond loopback: send 'Authorization: Bearer TOKEN' (vdc-manage token add --account-id ...)",
      );
    }
    if (claimed !== undefined && tokenAccount !== undefined && claimed !== tokenAccount) {
      throw errors.operationNotPermitted(`the API token belongs to another account than ${claimed}`);
    }
    const accountId = claimed ?? tokenAccount;
    if (!accountId) {
      throw errors.invalidCredentialHeaders(
        "say which account calls: send the header X-VDC-Account-ID: a-xxxxxxxx",
      );
    }
    if (uuidProblem("account", accountId)) {
      throw errors.invalidCredentialHeaders(
        `X-VDC-Account-ID '${accountId}' is not an account uuid (a-xxxxxxxx)`,
      );
    }
    const known = await store.db
      .selectFrom("accounts")
      .select("id")
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (!known) throw errors.invalidRequestCredentials(`unknown account ${accountId}`);
    req.accountId = accountId;
  });
}
