// The README's first command ends in `npm start` (`wakame up`): it must bring
// up the store and the API, answer mussel, and stop cleanly on Ctrl-C.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { run } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

test("wakame up serves the API over the store under WAKAME_HOME until Ctrl-C", async () => {
  const home = tempDir("up");
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, WAKAME_HOME: home, HOME: home, DCMGR_PORT: String(port) };
  delete env.DATABASE_URL;
  const up = spawn(
    process.execPath,
    [resolve(repoRoot, "bin/wakame.js"), "up", "--listen", `127.0.0.1:${port}`],
    { env },
  );
  let out = "";
  up.stdout.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((done) => up.on("exit", (code) => done(code)));
  try {
    for (let i = 0; i < 100 && !out.includes("Ctrl-C stops"); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(out, new RegExp(`wakame-ts is up: store SQLite ${home}/wakame.sqlite3`));
    assert.match(out, new RegExp(`API: +http://127.0.0.1:${port}/api/12.03`));
    assert.match(out, /instance specs:\s+kvm.large, kvm.small, kvm.xlarge/);
    assert.ok(existsSync(join(home, "wakame.sqlite3")));

    const hostAdded = await run(
      process.execPath,
      [resolve(repoRoot, "bin/vdc-manage.js"), "host", "add", "hva.demo1", "--uuid", "hn-demo1", "--force"],
      env,
    );
    assert.equal(hostAdded.code, 0, hostAdded.stderr);
    const listed = await run(
      process.execPath,
      [resolve(repoRoot, "bin/mussel.js"), "host_node", "index"],
      env,
    );
    assert.equal(listed.stderr, "");
    assert.match(listed.stdout, /:id: hn-demo1/);
  } finally {
    up.kill("SIGINT");
    assert.equal(await exited, 0);
    assert.match(out, /wakame-ts stopped/);
    rmSync(home, { recursive: true, force: true });
  }
});
