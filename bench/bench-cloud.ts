// What the API benchmarks share: a store registered for launches that boot
// nothing (one host with room for all, a public Windows image, a network
// large enough for every launch), and dcmgr started as its own process.
import { execFileSync, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { freePort } from "../test/helpers/net.js";

export const root = resolve(import.meta.dirname, "../..");
export const benchHeaders = {
  "X-VDC-Account-ID": "a-shpoolxx",
  "Content-Type": "application/x-www-form-urlencoded",
};

/** Host hn-bench, image wmi-bench (windows), network nw-bench (a /12), with vdc-manage as an operator would. */
export function registerBenchCloud(env: NodeJS.ProcessEnv): void {
  const vdc = (...args: string[]) =>
    execFileSync(process.execPath, [join(root, "bin/vdc-manage.js"), ...args], { env });
  vdc(
    "host",
    "add",
    "hva.bench",
    "--uuid=hn-bench",
    "--cpu-cores=1000000",
    "--memory-size=1000000000",
    "--force",
  );
  vdc(
    "backupobject",
    "add",
    "--uuid=bo-bench",
    "--storage-id=bkst-local",
    "--object-key=x.raw",
    "--size=1048576",
    "--checksum=d41d8cd98f00b204e9800998ecf8427e",
  );
  vdc("image", "add", "local", "bo-bench", "--uuid=wmi-bench", "--display-name=bench", "--is-public");
  vdc("image", "modify", "wmi-bench", "--os-type=windows");
  vdc("network", "add", "--uuid=nw-bench", "--ipv4-network=10.128.0.0", "--prefix=12");
}

/** A dcmgr process on the store `env` names; resolves with its API base once it answers. */
export async function startDcmgr(
  env: NodeJS.ProcessEnv,
): Promise<{ base: string; pid: number; stop(): void }> {
  const port = await freePort();
  const server = spawn(process.execPath, [join(root, "bin/dcmgr.js"), "--listen", `127.0.0.1:${port}`], {
    env,
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${port}/api/12.03`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${base}/instance_specs.json`, { headers: benchHeaders }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { base, pid: server.pid!, stop: () => server.kill("SIGTERM") };
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill("SIGTERM");
  throw new Error(`dcmgr did not start at ${base}`);
}
