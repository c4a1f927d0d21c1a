// The namespaced hosts `wakame up --hosts` makes have fixed names (wk-h1,
// wk-sw, the management bridge, this machine as the demo network's gateway),
// and making them takes down any that are there: two test files running at
// once (the suite runs two) must not both have them. Each holds this
// machine-wide lock meanwhile; one a killed run left is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const lock = "/run/lock/wakame-test-hosts";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until this process holds the lock; the answer lets it go. */
export async function lockHosts(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(dirname(lock), { recursive: true });
      mkdirSync(lock);
      writeFileSync(`${lock}/pid`, String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(`${lock}/pid`, "utf8"));
    } catch {
      // Made a moment ago, its pid not written yet: its holder lives.
    }
    if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
    else await sleep(1000);
  }
}
