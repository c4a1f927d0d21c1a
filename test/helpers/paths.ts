// Where the checkout is, from a compiled test file under dist/test/.
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `wakame-test-${prefix}-`));
}

/** A directory holding the package's commands under their installed names (vdc-manage, ...), for PATH. */
export function commandsOnPath(): string {
  const dir = tempDir("bin");
  mkdirSync(dir, { recursive: true });
  for (const name of ["vdc-manage", "wakame"])
    symlinkSync(resolve(repoRoot, "bin", `${name}.js`), join(dir, name));
  return dir;
}
