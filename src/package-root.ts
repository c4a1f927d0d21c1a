// Where the wakame-ts package is installed, found from the running code (a
// bundled command under dist/bin/, or a module under dist/src/): its
// commands (bin/) and the test guest's build (guest/testvm/) live there.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  const from = dirname(fileURLToPath(import.meta.url));
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "guest", "testvm"))) return dir;
    if (dirname(dir) === dir) throw new Error(`the wakame-ts package is not above ${from}`);
  }
}
