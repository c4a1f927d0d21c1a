// The API under load: `GET /instances/:id.json` and `POST /instances` (no VM
// boots: nothing picks the instances up) against a dcmgr process on SQLite,
// 50 concurrent connections, autocannon in this process. Goals (issue 3):
// GET >= 2000 req/s, POST >= 300 req/s, p99 < 50 ms.
// Run: npm run bench:api [-- --seconds 10]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { benchHeaders, registerBenchCloud, startDcmgr } from "./bench-cloud.js";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;
const home = mkdtempSync(join(tmpdir(), "wakame-bench-"));
const env: NodeJS.ProcessEnv = { ...process.env, WAKAME_HOME: home };
delete env.DATABASE_URL;
const headers = benchHeaders;

registerBenchCloud(env);
const server = await startDcmgr(env);
const base = server.base;
try {
  const keyFile = join(home, "key");
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keyFile]);
  const key = await post("/ssh_key_pairs.json", {
    public_key: execFileSync("cat", [`${keyFile}.pub`]).toString(),
  });
  const launchBody = new URLSearchParams({
    image_id: "wmi-bench",
    instance_spec_name: "kvm.small",
    ssh_key_id: key.id,
    vifs: JSON.stringify({ eth0: { network: "nw-bench" } }),
  }).toString();
  const instance = await post("/instances.json", Object.fromEntries(new URLSearchParams(launchBody)));

  const getUrl = `${base}/instances/${instance.id}.json`;
  const launchUrl = `${base}/instances.json`;
  const runs = [
    [await load("GET /instances/:id.json", { url: getUrl, method: "GET" }), 2000],
    [await load("POST /instances", { url: launchUrl, method: "POST", body: launchBody }), 300],
  ] as const;
  const paced = [
    [await pacedLoad("GET /instances/:id.json", getUrl, "GET", undefined, 2000), 2000],
    [await pacedLoad("POST /instances", launchUrl, "POST", launchBody, 300), 300],
  ] as const;

  console.log(
    `\nmachine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, SQLite, 50 connections, ${seconds} s each`,
  );
  console.log("| call | req/s | goal | ratio to goal | p50 ms | p99 ms | p99 goal | non-2xx |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [r, goal] of runs) {
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${goal} | ${(r.rps / goal).toFixed(2)}x | ${r.p50} | ${r.p99} | 50 | ${r.non2xx}${r.codes} |`,
    );
  }
  console.log("\nAt the goal's rate: 50 connections, requests evenly spaced to offer the goal's rate.\n");
  console.log("| call | offered req/s | answered req/s | p50 ms | p99 ms | p99 goal | non-2xx |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const [r, goal] of paced) {
    console.log(
      `| ${r.name} | ${goal} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | 50 | ${r.failed} |`,
    );
  }
} finally {
  server.stop();
  rmSync(home, { recursive: true, force: true });
}

async function load(
  name: string,
  opts: { url: string; method: "GET" | "POST"; body?: string; overallRate?: number },
) {
  const result = await autocannon({ ...opts, headers, connections: 50, duration: seconds });
  const codes = Object.entries(result.statusCodeStats ?? {})
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, { count }]) => `${code}: ${count}`);
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
    codes: codes.length ? ` (${codes.join(", ")})` : "",
  };
}

/** 50 connections, each sending one request every 50/rate seconds, staggered: an open loop at `rate`. */
async function pacedLoad(name: string, url: string, method: string, body: string | undefined, rate: number) {
  const latencies: number[] = [];
  let failed = 0;
  const interval = (50 / rate) * 1000;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: 50 }, async (_, c) => {
      for (let next = start + (c * interval) / 50; next < end; next += interval) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const t0 = performance.now();
        const res = await fetch(url, { method, headers, body });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (!res.ok) failed++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    name,
    rps: latencies.length / ((performance.now() - start) / 1000),
    p50: at(0.5),
    p99: at(0.99),
    failed,
  };
}

async function post(path: string, form: Record<string, string>) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form).toString(),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ id: string }>;
}
