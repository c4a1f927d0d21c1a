// dcmgr: the API server.
import { untilStopped } from "../../dcmgr/serve.js";
import { apiOptions, serveFromOptions } from "../api-options.js";
import { command } from "../command.js";
import { runProgram } from "../dispatch.js";
import { openStoreFromEnv } from "../store-context.js";

const serve = command({
  name: "dcmgr",
  summary:
    "The wakame-ts API server (v12.03 API under /api/12.03). State: WAKAME_HOME, or DATABASE_URL for PostgreSQL.\n" +
    "Listening beyond loopback, user requests need an API token (vdc-manage token add).",
  args: [],
  options: apiOptions,
  async run(_ctx: undefined, _args, o) {
    const store = await openStoreFromEnv();
    try {
      const api = await serveFromOptions(store, o, true);
      process.stderr.write(`dcmgr: ${store.description}; API at ${api.url}\n`);
      await untilStopped();
      await api.stop();
    } finally {
      await store.close();
    }
  },
});

process.exitCode = await runProgram(
  { root: serve, openContext: async () => undefined, closeContext: async () => {} },
  process.argv.slice(2),
);
