// One account against dcmgr's live streams (issue 22): dcmgr's memory and a
// second account's GET latency while the first holds 200 /events streams it
// never reads, re-opens 200 catch-ups from event 0 every 3 s and renames its
// instances (each rename is an event), against the same dcmgr with none of
// that. The streams beyond the account's cap are refused (429); the readers
// that read nothing are dropped once their stream holds 1 MiB.
// Run: npm run bench:streams [-- --seconds 30]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchHeaders, registerBenchCloud, root, startDcmgr } from "./bench-cloud.js";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 30;
const home = mkdtempSync(join(tmpdir(), "wakame-bench-streams-"));
const env: NodeJS.ProcessEnv = { ...process.env, WAKAME_HOME: home };
delete env.DATABASE_URL;
const hostile = "a-hostile";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

registerBenchCloud(env);
execFileSync(
  process.execPath,
  [join(root, "bin/vdc-manage.js"), "account", "add", `--uuid=${hostile}`, "--display-name=hostile"],
  {
    env,
  },
);
const server = await startDcmgr(env);
const { base } = server;
const url = new URL(base);

async function call(account: string, method: string, path: string, form?: Record<string, string>) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...benchHeaders, "X-VDC-Account-ID": account },
    body: form && new URLSearchParams(form).toString(),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ id: string }>;
}

/** Launches `n` instances in the account; their ids. */
async function launch(account: string, n: number): Promise<string[]> {
  const keyFile = join(home, `key-${account}`);
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keyFile]);
  const key = await call(account, "POST", "/ssh_key_pairs.json", {
    public_key: readFileSync(`${keyFile}.pub`, "utf8"),
  });
  const ids = [];
  for (let i = 0; i < n; i++)
    ids.push(
      (
        await call(account, "POST", "/instances.json", {
          image_id: "wmi-bench",
          instance_spec_name: "kvm.small",
          ssh_key_id: key.id,
          vifs: JSON.stringify({ eth0: { network: "nw-bench" } }),
        })
      ).id,
    );
  return ids;
}

const rssMib = () =>
  Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))![1]) / 1024;

/** The victim's GET /instances/:id, one after another, for `ms`; the latencies, and dcmgr's largest RSS meanwhile. */
async function measure(victimInstance: string, ms: number) {
  const latencies: number[] = [];
  let rss = rssMib();
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const t0 = performance.now();
    await call("a-shpoolxx", "GET", `/instances/${victimInstance}.json`);
    latencies.push(performance.now() - t0);
    rss = Math.max(rss, rssMib());
    await sleep(20);
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { n: latencies.length, p50: at(50), p99: at(99), max: latencies.at(-1)!, rss };
}

/** A GET /events that never reads what comes: its status line is all it waits for. */
function slowReader(): Promise<{ socket: Socket; status: number }> {
  return new Promise((done, fail) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `GET /api/12.03/events HTTP/1.1\r\nHost: ${url.host}\r\nX-VDC-Account-ID: ${hostile}\r\n\r\n`,
      );
    });
    socket.once("data", (d) => {
      socket.pause();
      done({ socket, status: Number(/^HTTP\/1\.1 (\d+)/.exec(String(d))?.[1]) });
    });
    socket.on("error", fail);
  });
}

try {
  const [victimInstance] = await launch("a-shpoolxx", 1);
  const mine = await launch(hostile, 20);
  // A long history to catch up on, as the issue's ~16,000 events.
  for (let n = 0; n < 16_000; n++)
    await call(hostile, "PUT", `/instances/${mine[n % mine.length]}.json`, { display_name: `r${n}` });

  const quiet = await measure(victimInstance!, seconds * 1000);

  const readers = await Promise.all(Array.from({ length: 200 }, () => slowReader()));
  const accepted = readers.filter((r) => r.status === 200).length;
  let attacking = true;
  let renames = 0;
  let catchUps = 0;
  let refusedCatchUps = 0;
  const renaming = (async () => {
    for (let n = 0; attacking; n++) {
      await call(hostile, "PUT", `/instances/${mine[n % mine.length]}.json`, { display_name: `x${n}` });
      renames++;
    }
  })();
  const catchingUp = (async () => {
    while (attacking) {
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          const ac = new AbortController();
          const res = await fetch(`${base}/events?since=0`, {
            headers: { "X-VDC-Account-ID": hostile },
            signal: ac.signal,
          }).catch(() => null);
          if (res?.status !== 200) {
            refusedCatchUps++;
            return;
          }
          catchUps++;
          setTimeout(() => ac.abort(), 3000);
          await res.body?.cancel().catch(() => {});
        }),
      );
      await sleep(3000);
    }
  })();
  const attacked = await measure(victimInstance!, seconds * 1000);
  attacking = false;
  await Promise.all([renaming, catchingUp]);
  // A reader that never read cannot have seen its end: read now, and count the streams dcmgr had ended.
  const ended = await Promise.all(
    readers
      .filter((r) => r.status === 200)
      .map(
        (r) =>
          new Promise<boolean>((done) => {
            const timer = setTimeout(() => done(false), 3000);
            r.socket.once("end", () => {
              clearTimeout(timer);
              done(true);
            });
            r.socket.once("error", () => {
              clearTimeout(timer);
              done(true);
            });
            r.socket.resume();
          }),
      ),
  );
  const dropped = ended.filter(Boolean).length;
  for (const r of readers) r.socket.destroy();

  const ms = (x: number) => x.toFixed(1);
  console.log(
    `\nmachine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, dcmgr on SQLite, ${seconds} s each`,
  );
  console.log(
    `hostile account: 200 /events never read (${accepted} accepted, ${200 - accepted} refused 429, ${dropped} dropped by dcmgr once 1 MiB waited), ` +
      `catch-ups from event 0 every 3 s (${catchUps} served, ${refusedCatchUps} refused), ${renames} renames\n`,
  );
  console.log("| run | dcmgr RSS MiB (max) | victim GET p50 ms | p99 ms | max ms | GETs |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [name, r] of [
    ["none", quiet],
    ["hostile streams", attacked],
  ] as const)
    console.log(`| ${name} | ${r.rss.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.n} |`);
  console.log(
    `| ratio | ${(attacked.rss / quiet.rss).toFixed(2)}x | ${(attacked.p50 / quiet.p50).toFixed(2)}x | ${(attacked.p99 / quiet.p99).toFixed(2)}x | ${(attacked.max / quiet.max).toFixed(2)}x | |`,
  );
} finally {
  server.stop();
  rmSync(home, { recursive: true, force: true });
}
