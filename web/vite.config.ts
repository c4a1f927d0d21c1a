// The web GUI's build: web/ into dist/gui, which dcmgr serves at /. Modules
// shared with the server (security group rules, keyboard layouts, the OpenSSH
// key format) are imported from ../src/model and ../src/vnc as they are.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  // noVNC's modules use top-level await.
  build: { outDir: "../dist/gui", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1024 },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  logLevel: "warn",
});
