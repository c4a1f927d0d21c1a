// Where the wakame-ts package is installed, found from the running code (a
// bundled command under dist/bin/, or a module under dist/src/): the first
// folder above holding wakame-ts's package.json, a checkout or an installed
// part (/usr/lib/wakame-vdc/dcmgr). Its commands (bin/), web GUI (dist/gui/)
// and guest files (guest/) live there.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const isOurs = (dir: string) =>
  existsSync(join(dir, "package.json")) &&
  (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === "wakame-ts";

export function packageRoot(): string {
  const from = dirname(fileURLToPath(import.meta.url));
  for (let dir = from; ; dir = dirname(dir)) {
    if (isOurs(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`the wakame-ts package is not above ${from}`);
  }
}
