// Bundles each command into one file under dist/bin/. Why: Kysely is ~280 ES
// modules, and loading them one by one doubled every command's start time.
// Packages with native code, CommonJS dynamic requires (undici's of node:
// builtins) or worker files stay external and load from node_modules as usual.
import { build } from "esbuild";

await build({
  entryPoints: [
    "vdc-manage",
    "wakame",
    "dcmgr",
    "hva",
    "mussel",
    "build-dir-utils",
    "needle",
    "auto-windows-image-build",
  ].map((c) => `src/cli/${c}/main.ts`),
  outbase: "src/cli",
  outdir: "dist/bin",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  external: [
    "better-sqlite3",
    "pg",
    "fastify",
    "bcrypt-pbkdf",
    "yaml",
    "@fastify/websocket",
    "@fastify/static",
    "ws",
    "undici",
  ],
  logLevel: "warning",
});
