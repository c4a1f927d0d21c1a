// A host agent that `wakame up --hosts` started in a host's network
// namespace, for the fault tests: found by its node ID, killed as a crash
// kills it, and started again as it was (same command line, environment and
// namespace); and that host's management link slowed down, so that a move
// over it lasts long enough to be cut, or cut.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const nulSplit = (file: string) => readFileSync(file, "utf8").split("\0").filter(Boolean);

/** The processes whose command line holds every one of `args` (as whole arguments). */
export function processesWith(...args: string[]): string[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = nulSplit(`/proc/${p}/cmdline`);
        return args.every((a) => argv.includes(a));
      } catch {
        return false;
      }
    });
}

export function namespacedAgent(nodeId: string) {
  const pid = processesWith(`--node-id=${nodeId}`)[0];
  if (!pid) throw new Error(`no agent runs with --node-id=${nodeId}`);
  const argv = nulSplit(`/proc/${pid}/cmdline`);
  const env = Object.fromEntries(
    nulSplit(`/proc/${pid}/environ`).map((kv) => [
      kv.slice(0, kv.indexOf("=")),
      kv.slice(kv.indexOf("=") + 1),
    ]),
  );
  const ns = execFileSync("ip", ["netns", "identify", pid], { encoding: "utf8" }).trim();
  let restarted: ChildProcess | null = null;
  return {
    ns,
    kill: () => process.kill(Number(pid), "SIGKILL"),
    /** The agent again, as it was started; stopped by `stop`. */
    start() {
      restarted = spawn("ip", ["netns", "exec", ns, ...argv], { env, stdio: "ignore" });
    },
    /** Stops the agent started again, and waits for it. */
    stop: () =>
      new Promise<void>((done) => {
        if (!restarted || restarted.exitCode !== null || restarted.signalCode !== null) return done();
        restarted.once("exit", () => done());
        restarted.kill("SIGTERM");
      }),
    /** Its host's management link (to dcmgr and the other hosts) cut, or joined again. */
    link(up: boolean) {
      execFileSync("ip", ["-n", ns, "link", "set", "mg0", up ? "up" : "down"]);
    },
    /** Its host's management link (to dcmgr and the other hosts) at `rate` (tc's words, 4mbit), or as it was. */
    slowLink(rate: string | null) {
      const tc = (...args: string[]) =>
        execFileSync("ip", ["netns", "exec", ns, "tc", ...args], { stdio: "ignore" });
      if (rate)
        tc(
          "qdisc",
          "replace",
          "dev",
          "mg0",
          "root",
          "tbf",
          "rate",
          rate,
          "burst",
          "32kbit",
          "latency",
          "400ms",
        );
      else tc("qdisc", "del", "dev", "mg0", "root");
    },
  };
}
