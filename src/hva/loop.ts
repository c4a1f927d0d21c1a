// The agent as a long-running process: every second (or at once when a VM
// stops) one pass of the reconcile loop, and a heartbeat so dcmgr knows the
// host is alive. A dcmgr that cannot be reached is logged once, not every second.
import type { Agent } from "./agent.js";
import type { AgentApi } from "./agent-api.js";

export interface AgentLoop {
  /** Ends the loop once the work in hand is done; the VMs keep running. */
  stop(): Promise<void>;
}

const heartbeatEveryMs = 30_000;

export function startLoop(
  agent: Agent,
  api: AgentApi,
  log: (line: string) => void,
  intervalMs = 1000,
): AgentLoop {
  let stopping = false;
  let failing = "";
  let lastBeat = Date.now();
  const fail = (err: Error) => {
    if (err.message !== failing) log(`cannot reach dcmgr: ${err.message}`);
    failing = err.message;
  };
  const recovered = () => {
    if (failing) log("dcmgr answers again");
    failing = "";
  };
  const ticks = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopping) {
      if (Date.now() - lastBeat > heartbeatEveryMs) {
        lastBeat = Date.now();
        api.heartbeat().catch(fail);
      }
      // Not awaited: a long image fetch for one instance must not hold up the others.
      const tick = agent.tick().then(recovered, fail);
      ticks.add(tick);
      void tick.finally(() => ticks.delete(tick));
      await agent.nap(intervalMs);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      // Every pass under way, its read included, ends before the agent lets go: none acts after a stop.
      await Promise.all(ticks);
      agent.detach();
    },
  };
}
