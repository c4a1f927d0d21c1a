// The web GUI: the static files Vite built from web/ (dist/gui), served at /,
// and /gui/settings, which tells the sign-in page what this server asks of
// callers. Built assets have content hashes in their names and are cached
// for good; index.html is asked for afresh each time so an upgrade shows.
import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { defaultAccountId } from "../model/vocabulary.js";
import { packageRoot } from "../package-root.js";

export const webGuiDir = () => join(packageRoot(), "dist", "gui");

export async function webGuiRoutes(app: FastifyInstance, requireTokens: boolean): Promise<void> {
  app.get("/gui/settings", async () => ({
    tokens_required: requireTokens,
    // On loopback the account header is enough, as for mussel: the page proposes mussel's default account.
    account_hint: requireTokens ? null : defaultAccountId,
  }));
  const root = webGuiDir();
  if (!existsSync(join(root, "index.html"))) {
    app.get("/", async (_req, reply) =>
      reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send("The web GUI is not built here: run 'npm run build' in the wakame-ts folder.\n"),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    setHeaders(res, path) {
      res.setHeader(
        "cache-control",
        path.includes(`${join(root, "assets")}/`) ? "public, max-age=31536000, immutable" : "no-cache",
      );
      // The console's VNC and the decrypted password live in this page only: no framing by other sites.
      res.setHeader("x-frame-options", "DENY");
      res.setHeader(
        "content-security-policy",
        "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
      );
    },
  });
}
