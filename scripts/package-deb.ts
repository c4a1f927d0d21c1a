// npm run package:deb: the Debian packages of a built checkout, into
// dist/deb/ (src/packaging/). `--version V` makes a snapshot's version.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/package-root.js";
import { buildDebianPackages } from "../src/packaging/build-deb.js";

const root = packageRoot();
const at = process.argv.indexOf("--version");
const version =
  at >= 0
    ? process.argv[at + 1]!
    : (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
try {
  const debs = await buildDebianPackages({
    root,
    out: join(root, "dist/deb"),
    version,
    log: (l) => console.log(l),
  });
  console.log(`package:deb: ${debs.length} packages in dist/deb/`);
} catch (err) {
  console.error(`package:deb: ${(err as Error).message}`);
  process.exitCode = 1;
}
