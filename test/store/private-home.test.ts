// WAKAME_HOME is its owner's only: an existing one open to others is closed,
// the packages' 0750 for their group is left, nothing is made that was not
// asked for, and what is written after is 0600 (folders 0700).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { keepPrivate } from "../../src/store/private-home.js";
import { tempDir } from "../helpers/paths.js";

const top = tempDir("private-home");
after(() => rmSync(top, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

test("a home open to others becomes 0700; a group's 0750 stays; a missing one is not made; new files are 0600", () => {
  const open = join(top, "open");
  mkdirSync(open, { mode: 0o755 });
  const group = join(top, "group");
  mkdirSync(group, { mode: 0o750 });
  keepPrivate(open);
  keepPrivate(group);
  keepPrivate(join(top, "missing"));
  assert.equal(mode(open), 0o700);
  assert.equal(mode(group), 0o750);
  assert.ok(!existsSync(join(top, "missing")));
  writeFileSync(join(open, "disk.qcow2"), "");
  mkdirSync(join(open, "instances"));
  assert.equal(mode(join(open, "disk.qcow2")), 0o600);
  assert.equal(mode(join(open, "instances")), 0o700);
});
