// Launches with two dcmgr processes on one PostgreSQL against one, in the
// same run (issue 12): POST /instances, 50 connections in all (split 25 and
// 25 over the two), autocannon in this process, 10 s each. No VM boots.
// PostgreSQL is the test suite's (test/postgres.sh starts Debian's cluster).
// Run: npm run bench:cluster [-- --seconds 10]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { freshStore } from "../test/helpers/stores.js";
import { benchHeaders, registerBenchCloud, root, startDcmgr } from "./bench-cloud.js";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;
process.env.WAKAME_TEST_PG_URL ||= execFileSync("bash", [join(root, "test/postgres.sh")])
  .toString()
  .trim();
const t = await freshStore("postgres");
const env = t.env;
const headers = benchHeaders;
registerBenchCloud(env);
const servers: { stop(): void }[] = [];
const start = async () => {
  const s = await startDcmgr(env);
  servers.push(s);
  return s.base;
};

try {
  const one = await start();
  const two = await start();
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
  for (const s of servers) s.stop();
  await new Promise((r) => setTimeout(r, 500));
  await t.dispose();
}
