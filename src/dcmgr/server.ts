// The API server: the user API under /api/12.03 (the original's v12.03, so its
// shell client keeps working) and, apart from it, the host agents' API.
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { Store } from "../store/store.js";
import { installCaller } from "./caller.js";
import type { PasswordPolicy } from "./passwords.js";
import { bodyLimit, installPlumbing, rewriteUrl } from "./plumbing.js";
import { agentRoutes } from "./routes/agent.js";
import { backupObjectRoutes } from "./routes/backup-objects.js";
import { hostNodeRoutes } from "./routes/host-nodes.js";
import { imageRoutes } from "./routes/images.js";
import { instanceRoutes } from "./routes/instances.js";
import { securityGroupRoutes } from "./routes/security-groups.js";
import { sshKeyPairRoutes } from "./routes/ssh-key-pairs.js";
import { ScreenshotDesk } from "./screenshots.js";

export interface ServerOptions {
  /** Listening beyond loopback: user requests need an API token. */
  requireTokens: boolean;
  passwords: PasswordPolicy;
  logger?: boolean;
}

export const userApiPrefix = "/api/12.03";
export const agentApiPrefix = "/api/agent/v1";

export async function buildServer(store: Store, options: ServerOptions): Promise<FastifyInstance> {
  // Requests are not logged one by one (thousands a second); failures and start-up are.
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    rewriteUrl: (req) => rewriteUrl(req),
  });
  installPlumbing(app);
  const screenshots = new ScreenshotDesk();
  await app.register(
    async (user) => {
      installCaller(user, store, options.requireTokens);
      instanceRoutes(user, store, screenshots);
      sshKeyPairRoutes(user, store);
      securityGroupRoutes(user, store);
      imageRoutes(user, store);
      backupObjectRoutes(user, store);
      hostNodeRoutes(user, store);
    },
    { prefix: userApiPrefix },
  );
  await app.register(async (agent) => agentRoutes(agent, store, options.passwords, screenshots), {
    prefix: agentApiPrefix,
  });
  return app;
}
