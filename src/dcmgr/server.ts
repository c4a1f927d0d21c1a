// The API server: the user API under /api/12.03 (the original's v12.03, so its
// shell client keeps working) with the live feed and the console sockets,
// apart from it the host agents' API, and the web GUI at /.
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import { agentApiPrefix } from "../model/agent-contract.js";
import { defaultWindowsOptions, type WindowsOptions } from "../model/windows-options.js";
import type { Store } from "../store/store.js";
import { installCaller } from "./caller.js";
import { ConsoleDesk } from "./console-desk.js";
import { errors } from "./errors.js";
import { EventFeed } from "./event-feed.js";
import { hostAllowed, hostRefusal } from "./host-header.js";
import { cutShortByRestart, failMovesCutShort } from "./move.js";
import type { PasswordPolicy } from "./passwords.js";
import { bodyLimit, installPlumbing, rewriteUrl } from "./plumbing.js";
import { agentRoutes } from "./routes/agent.js";
import { backupObjectRoutes } from "./routes/backup-objects.js";
import { consoleSocketRoute, consoleTicketRoute } from "./routes/console.js";
import { defaultStreamBufferBytes, eventRoutes } from "./routes/events.js";
import { hostNodeRoutes } from "./routes/host-nodes.js";
import { imageRoutes } from "./routes/images.js";
import { instanceBackupRoute } from "./routes/instance-backup.js";
import { instanceMoveRoute } from "./routes/instance-move.js";
import { instanceRoutes } from "./routes/instances.js";
import { securityGroupRoutes } from "./routes/security-groups.js";
import { sshKeyPairRoutes } from "./routes/ssh-key-pairs.js";
import { ScreenshotDesk } from "./screenshots.js";
import { StreamQuota } from "./stream-quota.js";
import { webGuiRoutes } from "./web-gui.js";

export interface ServerOptions {
  /** Listening beyond loopback: user requests need an API token. */
  requireTokens: boolean;
  passwords: PasswordPolicy;
  logger?: boolean;
  /** Names besides localhost and IP addresses that requests may be addressed to (host-header.ts). */
  serverNames?: readonly string[];
  /** HTTPS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
  /** Live streams (event feeds, consoles) one account may have open at once on this dcmgr (stream-quota.ts). */
  streamsPerAccount?: number;
  /** What one event stream may hold unsent before its reader is dropped (routes/events.ts). */
  streamBufferBytes?: number;
  /**
   * How agents reach this dcmgr (http://HOST:PORT, as in their --dcmgr): a
   * browser console waiting here asks its agent to connect there. None: the
   * agent connects to the dcmgr it reads (one dcmgr, or a wildcard listen).
   */
  agentUrl?: string;
  /** The operator's defaults of a Windows launch's options (dcmgr.conf); none: windows-options.ts's. */
  windowsDefaults?: WindowsOptions;
  /** Where instance backups are written (dcmgr.conf backup-storage); none: the storage of each instance's own image. */
  backupStorageId?: string | null;
}

export const userApiPrefix = "/api/12.03";
export const defaultStreamsPerAccount = 20;

export async function buildServer(store: Store, options: ServerOptions): Promise<FastifyInstance> {
  // Requests are not logged one by one (thousands a second); failures and start-up are.
  const app = Fastify({
    ...(options.tls && { https: options.tls }),
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    rewriteUrl: (req) => rewriteUrl(req),
  });
  installPlumbing(app);
  const names = options.serverNames ?? [];
  app.addHook("onRequest", async (req, reply) => {
    if (hostAllowed(req.headers.host, names)) return;
    const e = errors.misdirectedRequest(hostRefusal(req.headers.host));
    return reply.code(e.statusCode).send(e.body());
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 1 << 20 } });
  const screenshots = new ScreenshotDesk(store.db);
  const consoles = new ConsoleDesk(store.db, { agentUrl: options.agentUrl ?? null });
  const feed = new EventFeed(store.db, {}, (err) => app.log.error({ err }, "event feed failed"));
  const quota = new StreamQuota(options.streamsPerAccount ?? defaultStreamsPerAccount);
  app.addHook("onClose", () => feed.stop());
  await app.register(
    async (user) => {
      installCaller(user, store, options.requireTokens);
      instanceRoutes(user, store, screenshots, options.windowsDefaults ?? defaultWindowsOptions);
      instanceBackupRoute(user, store, options.backupStorageId ?? null);
      instanceMoveRoute(user, store);
      eventRoutes(user, store, feed, {
        quota,
        bufferBytes: options.streamBufferBytes ?? defaultStreamBufferBytes,
      });
      consoleTicketRoute(user, store, consoles);
      sshKeyPairRoutes(user, store);
      securityGroupRoutes(user, store);
      imageRoutes(user, store);
      backupObjectRoutes(user, store);
      hostNodeRoutes(user, store);
    },
    { prefix: userApiPrefix },
  );
  // The console's WebSocket is authorised by its ticket, not by the caller's headers.
  await app.register(async (sockets) => consoleSocketRoute(sockets, store, consoles, quota), {
    prefix: userApiPrefix,
  });
  await app.register(
    async (agent) => agentRoutes(agent, store, { passwords: options.passwords, screenshots, consoles }),
    { prefix: agentApiPrefix },
  );
  await app.register(async (gui) => webGuiRoutes(gui, options.requireTokens));
  return app;
}

/**
 * A dcmgr starts: it listens, then ends the moves it did not let switch over
 * (move.ts). After listening: one that cannot have its port changes nothing.
 */
export async function startListening(
  app: FastifyInstance,
  store: Store,
  at: { host: string; port: number },
): Promise<void> {
  await app.listen(at);
  const cut = await failMovesCutShort(store, cutShortByRestart);
  if (cut > 0) app.log.warn(`${cut} move(s) under way failed: ${cutShortByRestart}`);
}
