// dcmgr: the API server.

import { forgetExpiredPasswords } from "../../dcmgr/passwords.js";
import { buildServer } from "../../dcmgr/server.js";
import { intField } from "../../model/fields.js";
import { isLoopback, listenField } from "../../model/listen.js";
import { imagesDir, storeConfig } from "../../store/config.js";
import { openStore } from "../../store/store.js";
import { command } from "../command.js";
import { runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";

const serve = command({
  name: "dcmgr",
  summary:
    "The wakame-ts API server (v12.03 API under /api/12.03). State: WAKAME_HOME, or DATABASE_URL for PostgreSQL.\n" +
    "Listening beyond loopback, user requests need an API token (vdc-manage token add).",
  args: [],
  options: {
    listen: { field: listenField, desc: "address to listen on", default: { host: "127.0.0.1", port: 9001 } },
    delete_password_after_minutes: {
      field: intField({ min: 0 }),
      desc: "forget encrypted passwords this long after they are stored (0: keep them)",
      default: 0,
    },
  },
  async run(_ctx: undefined, _args, o) {
    let config: ReturnType<typeof storeConfig>;
    try {
      config = storeConfig();
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    const store = await openStore(config, { imagesDir: imagesDir() });
    const listen = o.listen!;
    const app = await buildServer(store, {
      requireTokens: !isLoopback(listen.host),
      passwords: { deleteAfterMinutes: o.delete_password_after_minutes! },
      logger: true,
    });
    const sweep = setInterval(() => {
      forgetExpiredPasswords(store.db, new Date()).catch((err) =>
        app.log.error({ err }, "password sweep failed"),
      );
    }, 60_000);
    sweep.unref();
    const stop = async () => {
      clearInterval(sweep);
      await app.close();
      await store.close();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      await app.listen({ host: listen.host, port: listen.port });
    } catch (err) {
      await stop();
      throw new UserError(`cannot listen on ${listen.host}:${listen.port}: ${(err as Error).message}`);
    }
    app.log.info(`dcmgr: ${store.description}; API at http://${listen.host}:${listen.port}/api/12.03`);
  },
});

process.exitCode = await runProgram(
  { root: serve, openContext: async () => undefined, closeContext: async () => {} },
  process.argv.slice(2),
);
