// Launches with two dcmgr processes on one PostgreSQL against one, in the
// same run (issue 12): POST /instances, 50 connections in all (split 25 and
// 25 over the two), autocannon in this process, 10 s each. No VM boots.
// PostgreSQL is the test suite's (test/postgres.sh starts Debian's cluster).
// Run: npm run bench:cluster [-- --seconds 10]
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { freePort } from "../test/helpers/net.js";
import { freshStore } from "../test/helpers/stores.js";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;
const root = resolve(import.meta.dirname, "../..");
process.env.WAKAME_TEST_PG_URL ||= execFileSync("bash", [join(root, "test/postgres.sh")])
  .toString()
  .trim();
const t = await freshStore("postgres");
const env = t.env;
const headers = { "X-VDC-Account-ID": "a-shpoolxx", "Content-Type": "application/x-www-form-urlencoded" };
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

const servers: ReturnType<typeof spawn>[] = [];
async function startDcmgr(): Promise<string> {
  const port = await freePort();
  servers.push(
    spawn(process.execPath, [join(root, "bin/dcmgr.js"), "--listen", `127.0.0.1:${port}`], {
      env,
      stdio: "ignore",
    }),
  );
  const base = `http://127.0.0.1:${port}/api/12.03`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${base}/instance_specs.json`, { headers }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return base;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("dcmgr did not start");
}

try {
  const one = await startDcmgr();
  const two = await startDcmgr();
  const keyFile = join(t.home, "key");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keyFile]);
  const key = (await (
    await fetch(`${one}/ssh_key_pairs.json`, {
      method: "POST",
      headers,
      body: new URLSearchParams({ public_key: readFileSync(`${keyFile}.pub`, "utf8") }).toString(),
    })
  ).json()) as { id: string };
  const body = new URLSearchParams({
    image_id: "wmi-bench",
    instance_spec_name: "kvm.small",
    ssh_key_id: key.id,
    vifs: JSON.stringify({ eth0: { network: "nw-bench" } }),
  }).toString();
  const launch = (base: string, connections: number) =>
    autocannon({
      url: `${base}/instances.json`,
      method: "POST",
      body,
      headers,
      connections,
      duration: seconds,
    });

  const single = await launch(one, 50);
  const pair = await Promise.all([launch(one, 25), launch(two, 25)]);
  const rps = (rs: autocannon.Result[]) => rs.reduce((n, r) => n + r.requests.average, 0);
  const p99 = (rs: autocannon.Result[]) => Math.max(...rs.map((r) => r.latency.p99));
  const failed = (rs: autocannon.Result[]) => rs.reduce((n, r) => n + r.non2xx + r.errors, 0);
  console.log(
    `\nmachine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, PostgreSQL, 50 connections in all, ${seconds} s each`,
  );
  console.log(
    "| dcmgr processes | launches/s | p50 ms | p99 ms | non-2xx |\n| --- | --- | --- | --- | --- |",
  );
  console.log(
    `| 1 | ${rps([single]).toFixed(0)} | ${single.latency.p50} | ${p99([single])} | ${failed([single])} |`,
  );
  console.log(
    `| 2 | ${rps(pair).toFixed(0)} | ${Math.max(...pair.map((r) => r.latency.p50))} | ${p99(pair)} | ${failed(pair)} |`,
  );
  console.log(`\nratio: ${(rps(pair) / rps([single])).toFixed(2)}x the launches/s of one`);
} finally {
  for (const s of servers) s.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  await t.dispose();
}
