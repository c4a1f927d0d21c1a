// Serving the API with the options of api-options.ts.
import { type RunningApi, serveApi } from "../dcmgr/serve.js";
import type { ListenAddress } from "../model/listen.js";
import type { Store } from "../store/store.js";
import { UserError } from "./errors.js";

type ApiOptionValues = {
  listen?: ListenAddress;
  delete_password_after_minutes?: number;
  /** How agents reach this dcmgr, when not at its listen address (serve.ts). */
  agentUrl?: string;
};

/** Serves the API over `store` with these options; a port that cannot be had is the command's refusal. */
export function serveFromOptions(store: Store, o: ApiOptionValues, logger: boolean): Promise<RunningApi> {
  return serveApi(store, {
    listen: o.listen!,
    deletePasswordAfterMinutes: o.delete_password_after_minutes!,
    logger,
    agentUrl: o.agentUrl,
  }).catch((err: Error) => {
    throw new UserError(err.message);
  });
}
