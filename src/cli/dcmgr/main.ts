// dcmgr: the API server. As a service it reads /etc/wakame-vdc/dcmgr.conf
// (--config), whose names are its options.
import { command } from "../command.js";
import { withConfigFile } from "../config-file.js";
import { runProgram } from "../dispatch.js";
import { serveFromOptions } from "../serve-api.js";
import { openStoreWith } from "../store-context.js";
import { untilStopped } from "../until-stopped.js";
import { dcmgrConfigFile, dcmgrOptions } from "./options.js";

const serve = command({
  name: "dcmgr",
  summary:
    "The wakame-ts API server (v12.03 API under /api/12.03). State: --home (WAKAME_HOME), or --database-url (DATABASE_URL) for PostgreSQL.\n" +
    "Listening beyond loopback, user requests need an API token (vdc-manage token add).",
  args: [],
  options: dcmgrOptions,
  async run(_ctx: undefined, _args, o) {
    const store = await openStoreWith(o);
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
  {
    root: serve,
    openContext: async () => undefined,
    closeContext: async () => {},
    expandArgs: (argv) => withConfigFile(argv, dcmgrConfigFile),
  },
  process.argv.slice(2),
);
