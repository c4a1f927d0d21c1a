// Nothing outlives the command that made it: `wakame up` stopped by SIGTERM
// while it probes KVM, killed outright then, or hung up on once it is up,
// leaves no QEMU (the probe's or a VM's) and no nftables wall behind.
// (test/e2e/wakame-up-bridge.test.ts stops a bridged cloud with SIGTERM.)
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { guestWallTable } from "../../src/hva/network/guest-wall.js";
import { startCommand } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { withoutNetns } from "../helpers/netns.js";
import { tempDir } from "../helpers/paths.js";
import { upEnv } from "../helpers/wakame-up.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const homes: string[] = [];
after(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** `wakame up` in a fresh WAKAME_HOME, with `extra` options. */
async function up(extra: string[]) {
  const home = tempDir("stop");
  homes.push(home);
  const port = await freePort();
  const cloud = startCommand("wakame", ["up", "--listen", `127.0.0.1:${port}`, ...extra], upEnv(home, port));
  return { home, ...cloud };
}

/** The processes whose parent is `parent` and whose command line holds `mark`. */
function childrenOf(parent: number, mark: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === parent && readFileSync(`/proc/${p}/cmdline`, "utf8").includes(mark);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));

/** The KVM probe's QEMU, once `wakame up` has started it. */
async function probeOf(child: ChildProcess): Promise<number> {
  for (let i = 0; i < 1200; i++) {
    const [probe] = childrenOf(child.pid!, "accel-probe");
    if (probe) return probe;
    assert.equal(child.exitCode, null, "wakame up ended before probing");
    await sleep(100);
  }
  throw new Error("wakame up never started its KVM probe");
}

const noKvm = existsSync("/dev/kvm") ? false : "needs /dev/kvm for wakame up to probe";

test("SIGTERM while it probes KVM: wakame up finishes starting, then stops, exit 0, and no QEMU is left", {
  skip: noKvm,
}, async () => {
  const cloud = await up(["--accelerator", "auto"]);
  const probe = await probeOf(cloud.child);
  cloud.child.kill("SIGTERM");
  assert.equal(await cloud.exited, 0, cloud.output());
  assert.match(cloud.output(), /wakame: stopped/);
  assert.ok(!alive(probe), "the probe's QEMU has gone");
  const fromHome = readdirSync("/proc").filter((p) => {
    try {
      return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, "utf8").includes(cloud.home);
    } catch {
      return false;
    }
  });
  assert.deepEqual(fromHome, [], "no process runs from its home");
});

test("killed outright (SIGKILL) while it probes KVM: the probe's QEMU dies with it", {
  skip: noKvm,
}, async () => {
  const cloud = await up(["--accelerator", "auto"]);
  const probe = await probeOf(cloud.child);
  cloud.child.kill("SIGKILL");
  await cloud.exited;
  for (let i = 0; i < 100 && alive(probe); i++) await sleep(50);
  assert.ok(!alive(probe), "the probe's QEMU has gone (setpriv --pdeathsig)");
});

test("SIGHUP once it is up: it stops as on Ctrl-C, and takes its guests' wall down", {
  skip: withoutNetns,
}, async () => {
  const cloud = await up(["--accelerator", "tcg"]);
  await cloud.saying(/Ctrl-C stops/, 180_000);
  const table = guestWallTable(join(cloud.home, "instances"));
  const tables = () => execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
  for (let i = 0; !tables().includes(table); i++) {
    assert.ok(i < 100, `no ${table} while up:\n${tables()}`);
    await sleep(100);
  }
  cloud.child.kill("SIGHUP");
  assert.equal(await cloud.exited, 0, cloud.output());
  assert.match(cloud.output(), /wakame: stopped/);
  assert.ok(!tables().includes(table), `${table} is gone`);
});
