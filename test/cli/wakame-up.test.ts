import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { run } from "../helpers/cli.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

test("wakame up prepares a store under WAKAME_HOME with the seed data and says what is in it", async () => {
  const home = tempDir("up");
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, WAKAME_HOME: home };
    delete env.DATABASE_URL;
    const r = await run(process.execPath, [resolve(repoRoot, "bin/wakame.js"), "up"], env);
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.ok(existsSync(join(home, "wakame.sqlite3")));
    assert.match(r.stdout, new RegExp(`store ready: SQLite ${home}/wakame.sqlite3`));
    assert.match(r.stdout, new RegExp(`bkst-local \\(file://${home}/images/\\)`));
    assert.match(r.stdout, /instance specs:\s+kvm.large, kvm.small, kvm.xlarge/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
