// The agent as a long-running process: passes of the reconcile loop, each
// from a long-poll of the host's state (GET /state?since=REV&wait=S), so an
// idle host waits on dcmgr instead of asking every second, and a change
// reaches it at once. A pass comes sooner when a VM stops (QMP), when an
// instance's own deadline comes (first boot, power-off grace), or a second
// after a pass that failed. A heartbeat tells dcmgr the host is alive. A
// dcmgr that cannot be reached is logged once, not every second.

import type { HostCapabilities } from "../model/host-capabilities.js";
import type { Agent } from "./agent.js";
import type { AgentApi } from "./agent-api.js";

export interface AgentLoop {
  /** Ends the loop once the work in hand is done; the VMs keep running. */
  stop(): Promise<void>;
}

const heartbeatEveryMs = 30_000;

export interface LoopOptions {
  /** What the heartbeats report of this host (host-hardware.ts). */
  capabilities?: HostCapabilities;
  /** The pause after a pass that failed, or before one due at once. */
  intervalMs: number;
  /** The longest wait asked of dcmgr (its limit is 60). */
  longPollS: number;
}

export function startLoop(
  agent: Agent,
  api: AgentApi,
  log: (line: string) => void,
  options: Partial<LoopOptions> = {},
): AgentLoop {
  const { intervalMs, longPollS, capabilities } = { intervalMs: 1000, longPollS: 30, ...options };
  let stopping = false;
  let failing = "";
  const ending = new AbortController();
  const fail = (err: Error) => {
    if (stopping) return;
    if (err.message !== failing) log(`cannot reach dcmgr: ${err.message}`);
    failing = err.message;
  };
  const recovered = () => {
    if (failing) log("dcmgr answers again");
    failing = "";
  };
  const beat = () => api.heartbeat(capabilities).catch(fail);
  const heartbeats = setInterval(beat, heartbeatEveryMs);
  const ticks = new Set<Promise<void>>();
  let since: string | undefined;
  const loop = (async () => {
    let due = true;
    while (!stopping) {
      const recheck = agent.nextRecheck();
      const untilRecheckS = recheck === null ? longPollS : Math.floor((recheck - Date.now()) / 1000);
      const wait = due ? 0 : Math.max(0, Math.min(longPollS, untilRecheckS));
      let failed = false;
      // Not awaited: a long image fetch for one instance must not hold up the others.
      const tick = agent.tick({ since, wait, signal: ending.signal }).then(
        (revision) => {
          since = revision;
          recovered();
        },
        (err: Error) => {
          failed = true;
          fail(err);
        },
      );
      ticks.add(tick);
      void tick.finally(() => ticks.delete(tick));
      if (wait === 0) {
        due = await agent.nap(intervalMs);
      } else {
        due = await agent.nap(wait * 1000 + 5000, tick);
        if (failed && !due) due = await agent.nap(intervalMs);
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      clearInterval(heartbeats);
      ending.abort();
      await loop;
      // Every pass under way, its read included, ends before the agent lets go: none acts after a stop.
      await Promise.all(ticks);
      agent.detach();
    },
  };
}
