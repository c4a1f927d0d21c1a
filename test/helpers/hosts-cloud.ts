// Several hosts with dcmgr apart, as an operator runs a cloud, for the
// end-to-end tests that restart dcmgr while the hosts go on: dcmgr as its
// command on this machine, and the hosts `wakame up --hosts` makes (each a
// network namespace with its own hva, reaching dcmgr on the management
// bridge) joined to it; the test guest registered as wmi-testwin. Its
// surface is startUp's (wakame-up.ts), with restartDcmgr besides.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { registerDemoImage } from "../../src/cli/wakame/demo.js";
import { startSeveralHosts } from "../../src/cli/wakame/several-hosts.js";
import { imagesDir, storeConfig } from "../../src/store/config.js";
import { openStore } from "../../src/store/store.js";
import { lockHosts } from "./hosts-lock.js";
import { freePort } from "./net.js";
import { commandsOnPath, repoRoot } from "./paths.js";
import { untilSaid, upEnv } from "./wakame-up.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function hostsCloud(home: string, count: number) {
  const unlock = await lockHosts();
  const port = await freePort();
  const env = { ...upEnv(home, port), PATH: `${commandsOnPath()}:${process.env.PATH}` };
  /** What dcmgr and the hosts' agents said, as `wakame up` prints it. */
  const output = { err: "" };
  const log = (line: string) => {
    output.err += `${line}\n`;
  };
  let dcmgr: ChildProcess;
  const serve = async () => {
    dcmgr = spawn(process.execPath, [resolve(repoRoot, "bin/dcmgr.js"), "--listen", `127.0.0.1:${port}`], {
      env,
    });
    for (const s of [dcmgr.stdout!, dcmgr.stderr!])
      s.setEncoding("utf8").on("data", (d: string) => log(d.trimEnd()));
    for (let i = 0; i < 200; i++) {
      if (await fetch(`http://127.0.0.1:${port}/api/12.03/instance_specs`).catch(() => null)) return;
      assert.equal(dcmgr.exitCode, null, `dcmgr ended:\n${output.err}`);
      await sleep(100);
    }
    assert.fail(`dcmgr does not answer on ${port}:\n${output.err}`);
  };
  const stopDcmgr = async () => {
    if (dcmgr.exitCode !== null || dcmgr.signalCode !== null) return;
    const exited = new Promise((r) => dcmgr.once("exit", r));
    dcmgr.kill("SIGTERM");
    await exited;
  };
  await serve();
  await registerDemoImage(env, imagesDir(env), log);
  const hosts = await startSeveralHosts({
    count,
    home,
    target: { host: "127.0.0.1", port },
    accelerator: "tcg",
    env,
    log,
  });
  return {
    env,
    output,
    /** dcmgr stopped, then started again on its port after `downFor`; the hosts go on meanwhile. */
    async restartDcmgr(downFor: () => Promise<void> = async () => {}) {
      await stopDcmgr();
      await downFor();
      await serve();
    },
    until: untilSaid(output),
    /** As `wakame up`'s Ctrl-C: the instances powered off, the hosts taken down; then dcmgr. */
    async stop() {
      const store = await openStore(storeConfig(env), { imagesDir: imagesDir(env) });
      try {
        await hosts.stop(store.db, 15_000);
      } finally {
        await store.close();
        await stopDcmgr();
        unlock();
      }
    },
  };
}
