// Carrying out this host's part in a move dcmgr asked for, and saying how it
// goes (agent-contract.ts WantedMove). The destination: the instance's files
// made as for a first start (the overlay, the metadata drive and the
// variable store are then written over by what comes), its VM started
// paused awaiting the move (its network was set up by the loop's sync, as
// for any VM: the firewall is there before the guest runs), a listener for
// this move on its management address; ready, with where. Then, in the
// background: the guest run once the migration has come whole, and done.
// A cold move's destination receives the halted instance's files instead of
// a VM (files-transfer.ts) and puts them in place. The source, once the
// destination is ready: its QEMU's two sockets relayed to the destination,
// the disks and the guest sent (or, cold, its files), its progress said; a
// failure undoes it all (the guest runs on here) and says why. A move runs
// once per agent (held, and still held once ended); one this agent does not
// hold was begun by an agent that stopped, and reconcile.ts ends it.
import type { WantedInstance } from "../../model/agent-contract.js";
import type { MoveReport } from "../../model/move.js";
import type { MoveStream } from "../../model/move-handshake.js";
import { type ActionTools, removeInstance } from "../actions.js";
import { OutdatedView } from "../agent-api.js";
import type { InstanceFiles } from "../instance-files.js";
import { prepareInstance } from "../prepare.js";
import { progressReports } from "../progress-reports.js";
import { startVm } from "../start-vm.js";
import type { MovingDisk } from "../vm/live-move.js";
import { listenForMove, type MoveEnd, relayToMove } from "./channel.js";
import { type FilesReceiver, receiveFiles, sendFiles } from "./files-transfer.js";

/** The channel's streams of each kind of move: QEMU's two (live), the files (cold). */
const liveStreams: readonly MoveStream[] = ["migration", "nbd"];
const coldStreams: readonly MoveStream[] = ["files"];

/** What the report shape takes of an error. */
const errorMax = 4000;
/** How long the source waits for dcmgr's leave to hand a guest over: the guest is paused meanwhile. */
const handOverAskMs = 10_000;
/** Tries at a move's last report (a dcmgr restarting): the move's end must reach it. */
const lastReportTries = 150;

/** The instance's disks as they move: its overlay only when its image is cached at the destination too. */
export function movingDisks(w: WantedInstance): MovingDisk[] {
  return [
    { device: "disk0", sync: w.image.is_cacheable ? "top" : "full" },
    { device: "disk1", sync: "full" },
  ];
}

export class Moves {
  /**
   * The moves this agent began, by move id, kept once ended: a pass that read
   * dcmgr's state before the end (the move still under way there) must not
   * take one for a move an agent since stopped began. Move ids never come back.
   */
  private readonly held = new Set<string>();
  /** Their listeners and relays, open. */
  private readonly open = new Set<MoveEnd>();
  /**
   * The instances whose guest or files this agent is sending, by move: kept until the
   * send has ended, even once dcmgr lists them elsewhere (the destination
   * may say done before the source has seen its own migration complete).
   */
  private readonly sending = new Map<string, string>();

  constructor(
    /** How long a move may take before it is given up. */
    private readonly timeoutMs: number,
    /** How long a move may send nothing (a dead link) before it is given up. */
    private readonly stallMs: number,
    private readonly log: (line: string) => void,
  ) {}

  holds(moveId: string): boolean {
    return this.held.has(moveId);
  }

  /** Whether this agent is sending the instance away now: its files stay until it is done. */
  sends(instanceId: string): boolean {
    return [...this.sending.values()].includes(instanceId);
  }

  /** The agent stops: every channel it holds is cut (the other side fails the move, or the next agent does). */
  detach(): void {
    for (const end of this.open) void end.close();
    this.open.clear();
  }

  private track(end: MoveEnd): MoveEnd {
    this.open.add(end);
    return {
      port: end.port,
      close: async () => {
        this.open.delete(end);
        await end.close();
      },
    };
  }

  /** The destination's part, until ready; the rest goes on in the background. */
  async receive(w: WantedInstance, files: InstanceFiles, tools: ActionTools): Promise<void> {
    const m = w.move!;
    this.held.add(m.move_id);
    const ends: MoveEnd[] = [];
    const closeAll = async () => {
      for (const end of ends) await end.close();
    };
    const fail = async (err: Error) => {
      await closeAll();
      await removeInstance(files, tools).catch(() => {});
      await this.lastReport(tools, m.move_id, {
        state: "failed",
        error: `at the destination: ${err.message}`,
      });
    };
    let arrival: () => Promise<void>;
    try {
      await prepareInstance(files, w, tools);
      // Its first boot, if any, was the source's: the metadata drive comes from there.
      await files.firstBootPending(false);
      const sockets = files.moveSockets;
      if (m.kind === "live") {
        await startVm(w, files, tools, { nbdSocket: sockets.nbd, migrationSocket: sockets.migration });
        // The source gives up first (its own timeout): a destination left waiting ends after it.
        arrival = () => tools.vms.runMovedIn(files, 2 * this.timeoutMs);
      } else {
        const receiver = await receiveFiles({ socket: sockets.files, staging: files.moveStaging });
        ends.push(this.track({ port: 0, close: receiver.close }));
        arrival = () => this.filesArrived(files, receiver);
      }
      const address = await tools.api.ownAddress();
      const listener = await listenForMove({ address, token: m.token, targets: sockets, log: this.log });
      ends.push(this.track(listener));
      await tools.api.reportMove(m.move_id, { state: "ready", address, port: listener.port });
    } catch (err) {
      await fail(err as Error);
      return;
    }
    void (async () => {
      try {
        await arrival();
      } catch (err) {
        await fail(err as Error);
        return;
      }
      await closeAll();
      this.log(`${w.id}: moved here, ${m.kind === "live" ? "running" : "halted"}`);
      // Its forwards are this host's now (user-mode networking: its ports here).
      const plan = await files.readPlan();
      await this.lastReport(tools, m.move_id, {
        state: "done",
        port_forwards: (plan?.vifs ?? []).map((v) => v.port_forwards),
      });
    })();
  }

  /** A cold move's files, come whole within the time a move has, put in place of those made here. */
  private async filesArrived(files: InstanceFiles, receiver: FilesReceiver): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const names = await Promise.race([
      receiver.arrived,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`the files did not come within ${Math.round((2 * this.timeoutMs) / 1000)} s`)),
          2 * this.timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    await files.takeArrived(names);
  }

  /** The source's part: the relays open and the copy begun; the rest goes on in the background. */
  async send(w: WantedInstance, files: InstanceFiles, tools: ActionTools): Promise<void> {
    const m = w.move!;
    const to = m.destination!;
    this.held.add(m.move_id);
    const sockets = files.moveSockets;
    const say = (r: MoveReport, signal?: AbortSignal) => tools.api.reportMove(m.move_id, r, signal);
    const relays: MoveEnd[] = [];
    try {
      for (const stream of m.kind === "live" ? liveStreams : coldStreams)
        relays.push(
          this.track(
            await relayToMove({
              socket: sockets[stream],
              host: to.address,
              port: to.port,
              token: m.token,
              stream,
            }),
          ),
        );
      await say({ state: "copying", progress: 0 });
      this.sending.set(m.move_id, w.id);
    } catch (err) {
      // Not begun: the next pass tries again while the move waits for it (or it has ended meanwhile).
      for (const r of relays) await r.close();
      this.held.delete(m.move_id);
      this.log(`${w.id}: the move to ${to.address} did not begin: ${(err as Error).message}`);
      return;
    }
    void (async () => {
      let failure: MoveReport | null = null;
      const onProgress = progressReports((progress) => say({ state: "copying", progress }));
      try {
        const stall = {
          ms: this.stallMs,
          cut: async () => {
            for (const r of relays) await r.close();
          },
        };
        if (m.kind === "live") {
          let grantMs = 0;
          const took = await tools.vms.moveOut(files, {
            nbdSocket: sockets.nbd,
            migrationSocket: sockets.migration,
            disks: movingDisks(w),
            timeoutMs: this.timeoutMs,
            onProgress,
            stall,
            // Refused (the move failed meanwhile: a dcmgr restarted, the destination gave up) or
            // unanswered: the guest runs on here.
            mayHandOver: async () => {
              const asked = Date.now();
              await say({ state: "switching" }, AbortSignal.timeout(handOverAskMs));
              grantMs = Date.now() - asked;
            },
          });
          // Handed over: the destination runs it and says so; this VM goes once dcmgr lists it here no more.
          this.log(
            `${w.id}: handed over to ${to.address} (${took.totalMs} ms, ${took.downtimeMs} ms paused, dcmgr's leave in ${grantMs} ms)`,
          );
        } else {
          await sendFiles({
            dir: files.dir,
            names: await files.carried(),
            socket: sockets.files,
            onProgress,
            stallMs: this.stallMs,
            answerMs: this.timeoutMs,
          });
          // The destination has them whole and says done; these go once dcmgr lists the instance here no more.
          this.log(`${w.id}: its files handed over to ${to.address}`);
        }
      } catch (err) {
        failure = { state: "failed", error: `at the source: ${(err as Error).message}` };
      }
      for (const r of relays) await r.close();
      this.sending.delete(m.move_id);
      if (failure) await this.lastReport(tools, m.move_id, failure);
    })();
  }

  /** Says how the move ended, trying again while dcmgr cannot be reached. */
  private async lastReport(tools: ActionTools, moveId: string, r: MoveReport): Promise<void> {
    const report = r.state === "failed" ? { ...r, error: r.error.slice(0, errorMax) } : r;
    for (let tried = 1; ; tried++) {
      try {
        await tools.api.reportMove(moveId, report);
        return;
      } catch (err) {
        // Ended meanwhile (the other side failed it): nothing more to say.
        if (err instanceof OutdatedView) {
          this.log(`move ${moveId}: ended already, not ${r.state} as this side would have said`);
          return;
        }
        if (tried === lastReportTries) {
          this.log(`move ${moveId}: cannot tell dcmgr it is ${r.state}: ${(err as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
}
