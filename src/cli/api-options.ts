// The API server's options, the same for `dcmgr` and `wakame up`.
import { type RunningApi, serveApi } from "../dcmgr/serve.js";
import { intField } from "../model/fields.js";
import { type ListenAddress, listenField } from "../model/listen.js";
import type { Store } from "../store/store.js";
import { UserError } from "./errors.js";

export const apiOptions = {
  listen: { field: listenField, desc: "address to listen on", default: { host: "127.0.0.1", port: 9001 } },
  delete_password_after_minutes: {
    field: intField({ min: 0 }),
    desc: "forget encrypted passwords this long after they are stored (0: keep them)",
    default: 0,
  },
};

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
