// A real WebDAV backup storage for the tests: Debian's nginx with its DAV
// module (PUT, DELETE; GET is nginx's own), serving a directory of its own on
// a port of this machine, on every address (namespaced hosts reach it over
// the management bridge). It can be stopped and started again on the same
// port, as a storage that goes down and comes back.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./net.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const nginxMissing = existsSync("/usr/sbin/nginx")
  ? false
  : "needs nginx (nginx-light: its DAV module)";

export interface WebDav {
  port: number;
  /** The directory it serves: what hosts PUT is there. */
  root: string;
  /** The files under `/backups/` now. */
  stored(): string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function webDav(dir: string): Promise<WebDav> {
  const port = await freePort();
  const root = join(dir, "root");
  mkdirSync(join(root, "backups"), { recursive: true });
  mkdirSync(join(dir, "temp"), { recursive: true });
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
master_process off;
user root;
pid ${join(dir, "nginx.pid")};
error_log stderr warn;
events {}
http {
  access_log off;
  client_body_temp_path ${join(dir, "temp")};
  server {
    listen ${port};
    root ${root};
    location /backups/ {
      dav_methods PUT DELETE;
      create_full_put_path on;
      client_max_body_size 0;
    }
  }
}
`,
  );
  let nginx: ChildProcess | undefined;
  let log = "";
  const dav: WebDav = {
    port,
    root,
    stored: () => readdirSync(join(root, "backups")),
    async start() {
      nginx = spawn("nginx", ["-c", conf, "-p", dir], { stdio: ["ignore", "ignore", "pipe"] });
      nginx.stderr!.on("data", (d) => {
        log += d;
      });
      for (let i = 0; i < 100; i++) {
        if (await fetch(`http://127.0.0.1:${port}/backups/`).catch(() => null)) return;
        if (nginx.exitCode !== null) break;
        await sleep(100);
      }
      throw new Error(`nginx did not serve WebDAV on ${port}: ${log}`);
    },
    async stop() {
      if (!nginx || nginx.exitCode !== null) return;
      const exited = new Promise((r) => nginx!.once("exit", r));
      nginx.kill("SIGTERM");
      await exited;
    },
  };
  await dav.start();
  return dav;
}
