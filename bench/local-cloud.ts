// What the launch benchmarks share: dcmgr in this process on a SQLite store
// under WAKAME_HOME, the local host and the demo image registered as `wakame
// up` registers them, and the host agent on TCG, as the agent's probe chooses
// on the build machines; `call` speaks to dcmgr as the demo account.
import { join } from "node:path";
import { localAgentToken, registerDemoImage, registerLocalHost } from "../src/cli/wakame/demo.js";
import { serveApi } from "../src/dcmgr/serve.js";
import { startHostAgent } from "../src/hva/start.js";
import { imagesDir } from "../src/store/config.js";
import { openStore } from "../src/store/store.js";

export async function startLocalCloud(home: string, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  const store = await openStore(
    { kind: "sqlite", file: join(home, "wakame.sqlite3") },
    { imagesDir: imagesDir(env) },
  );
  const port = 19000 + Math.floor(Math.random() * 1000);
  const api = await serveApi(store, {
    listen: { host: "127.0.0.1", port },
    deletePasswordAfterMinutes: 0,
    logger: false,
  });
  await registerLocalHost(env, home);
  await registerDemoImage(env, imagesDir(env), () => {});
  const agent = await startHostAgent({
    nodeId: "hva.local",
    dcmgr: [`http://127.0.0.1:${port}`],
    token: await localAgentToken(env),
    home,
    accelerator: "tcg",
    network: { kind: "user", forwardAddress: "127.0.0.1", guestUser: "wakame-vdc-guest" },
    firstBootTimeoutMs: 600_000,
    powerdownTimeoutMs: 30_000,
    log,
  });
  const call = async (method: string, path: string, body?: Record<string, unknown>) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { "X-VDC-Account-ID": "a-shpoolxx", ...(body && { "Content-Type": "application/json" }) },
      body: body && JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: API records, read field by field
    return (await res.json()) as Record<string, any>;
  };
  return {
    call,
    async stop() {
      await agent.stop();
      await api.stop();
      await store.close();
    },
  };
}
