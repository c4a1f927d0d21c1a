// Running the API server until told to stop: the `dcmgr` command and the
// all-in-one `wakame up` both serve through here.
import { isLoopback, type ListenAddress } from "../model/listen.js";
import type { WindowsOptions } from "../model/windows-options.js";
import type { Store } from "../store/store.js";
import { type EventRetention, pruneInstanceEvents } from "./event-pruning.js";
import { forgetExpiredPasswords } from "./passwords.js";
import { buildServer, startListening } from "./server.js";

export interface ServeOptions {
  listen: ListenAddress;
  deletePasswordAfterMinutes: number;
  /** Names besides localhost and IP addresses that requests may be addressed to (host-header.ts). */
  serverNames?: readonly string[];
  logger: boolean;
  /** How agents reach this dcmgr; default: its listen address, if not a wildcard. */
  agentUrl?: string;
  /** HTTPS with this certificate and key (PEM); HTTP without. */
  tls?: { cert: Buffer; key: Buffer };
  /** Live streams one account may have open at once (stream-quota.ts). */
  streamsPerAccount?: number;
  /** How much of the instances' events is kept (event-pruning.ts); none: all. */
  eventRetention?: EventRetention;
  /** Where instance backups are written; null: the storage of each instance's own image. */
  backupStorageId?: string | null;
  /** The operator's defaults of a Windows launch's options. */
  windowsDefaults?: WindowsOptions;
}

export interface RunningApi {
  /** http(s)://HOST:PORT/api/12.03 */
  readonly url: string;
  stop(): Promise<void>;
}

export async function serveApi(store: Store, o: ServeOptions): Promise<RunningApi> {
  const host = o.listen.host.includes(":") ? `[${o.listen.host}]` : o.listen.host;
  const wildcard = o.listen.host === "0.0.0.0" || o.listen.host === "::";
  const scheme = o.tls ? "https" : "http";
  const app = await buildServer(store, {
    tls: o.tls,
    requireTokens: !isLoopback(o.listen.host),
    passwords: { deleteAfterMinutes: o.deletePasswordAfterMinutes },
    logger: o.logger,
    serverNames: o.serverNames ?? [],
    streamsPerAccount: o.streamsPerAccount,
    agentUrl: o.agentUrl ?? (wildcard ? undefined : `${scheme}://${host}:${o.listen.port}`),
    windowsDefaults: o.windowsDefaults,
    backupStorageId: o.backupStorageId ?? null,
  });
  // Passwords past their time are forgotten even when nobody asks for them;
  // events past their retention are pruned (at start too: a dcmgr restarted often must not skip it).
  let sweeps = 0;
  const sweepNow = () => {
    forgetExpiredPasswords(store.db, new Date()).catch((err) =>
      app.log.error({ err }, "password sweep failed"),
    );
    if (o.eventRetention && sweeps++ % 10 === 0)
      pruneInstanceEvents(store.db, o.eventRetention, new Date()).catch((err) =>
        app.log.error({ err }, "event pruning failed"),
      );
  };
  sweepNow();
  const sweep = setInterval(sweepNow, 60_000);
  sweep.unref();
  const stop = async () => {
    clearInterval(sweep);
    await app.close();
  };
  try {
    await startListening(app, store, { host: o.listen.host, port: o.listen.port });
  } catch (err) {
    await stop();
    throw new Error(`cannot listen on ${o.listen.host}:${o.listen.port}: ${(err as Error).message}`);
  }
  return { url: `${scheme}://${host}:${o.listen.port}/api/12.03`, stop };
}
