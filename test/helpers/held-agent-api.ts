// The host agent's real API client against a real dcmgr, with a test hook:
// a read or a report can be held back, answered late, to force the
// interleavings a loaded host produces by chance (a read made before an
// action answered after it; a user's request landing between the agent's
// decision and its report).

import { AgentApi, type StateRead } from "../../src/hva/agent-api.js";
import type { HostState, StateReport } from "../../src/model/agent-contract.js";

export interface Hold {
  /** Resolves once the held call has reached the point where it waits. */
  reached: Promise<void>;
  /** Lets the held call go on. */
  release(): void;
}

function hold(): Hold & { arrive(): void; gate: Promise<void> } {
  let release!: () => void;
  let arrive!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const reached = new Promise<void>((r) => {
    arrive = r;
  });
  return { gate, reached, release, arrive };
}

export class HeldAgentApi extends AgentApi {
  private heldRead: ReturnType<typeof hold> | null = null;
  private heldReport: ReturnType<typeof hold> | null = null;

  /** The next GET /state is made at once; its answer reaches the agent only on release. */
  holdNextRead(): Hold {
    this.heldRead = hold();
    return this.heldRead;
  }

  /** The next state report waits, unsent, until release: what the agent decided is sent late. */
  holdNextReport(): Hold {
    this.heldReport = hold();
    return this.heldReport;
  }

  override async hostState(read: StateRead = {}): Promise<HostState> {
    const held = this.heldRead;
    this.heldRead = null;
    const answer = await super.hostState(read);
    if (held) {
      held.arrive();
      await held.gate;
    }
    return answer;
  }

  override async report(id: string, revision: number, report: StateReport) {
    const held = this.heldReport;
    this.heldReport = null;
    if (held) {
      held.arrive();
      await held.gate;
    }
    return super.report(id, revision, report);
  }
}
