// A running VM moved to another host with its local disks, as libvirt's
// copy-storage and Incus do it, in QMP: the destination QEMU (started with
// `-incoming defer -S`) exports its empty disks over NBD; the source mirrors
// its disks into them while the guest runs (write-blocking: a write is done
// once both copies have it), then migrates memory and device state (the
// TPM's state and the UEFI variables travel with them). QEMU pauses before
// switching over: the mirrors, in step, are ended then, while nothing
// writes. The destination runs the guest only once everything has arrived;
// until then the source can take its guest back untouched. The hand-over
// is the caller's to allow (dcmgr grants it, dcmgr/move.ts): asked while paused.
import { setTimeout as sleep } from "node:timers/promises";
import {
  bytesSent,
  type MirrorFigures,
  migrationIsOver,
  moveProgress,
  StallWatch,
} from "../../model/move-progress.js";
import type { QmpClient } from "../../qemu/qmp.js";

/** One of the VM's disks, by its -drive id (disk0, disk1, ...), and how much of it goes. */
export interface MovingDisk {
  device: string;
  /** top: only the overlay (its base image is in the destination's cache); full: all of it. */
  sync: "top" | "full";
}

interface BlockInfo {
  device: string;
  inserted?: { "node-name": string };
}
interface BlockJob extends MirrorFigures {
  device: string;
  ready: boolean;
}
interface MigrateInfo {
  status: string;
  "error-desc"?: string;
  "total-time"?: number;
  downtime?: number;
  ram?: { transferred: number; total: number; remaining: number };
}

/** How often the figures are read. */
const pollMs = 200;
const targetNode = (device: string) => `move-${device}`;

/**
 * The destination's first half: its disks exported writable on the NBD
 * server at `nbdSocket` (each under its -drive id), and the migration
 * awaited on `migrationSocket`.
 */
export async function receiveMove(
  q: QmpClient,
  o: { nbdSocket: string; migrationSocket: string; devices: readonly string[] },
): Promise<void> {
  const blocks = await q.execute<BlockInfo[]>("query-block");
  await q.execute("nbd-server-start", { addr: { type: "unix", data: { path: o.nbdSocket } } });
  for (const device of o.devices) {
    const node = blocks.find((b) => b.device === device)?.inserted?.["node-name"];
    if (!node) throw new Error(`the destination's VM has no disk ${device}`);
    await q.execute("block-export-add", {
      type: "nbd",
      id: targetNode(device),
      "node-name": node,
      name: device,
      writable: true,
    });
  }
  await q.execute("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
  await q.execute("migrate-incoming", { uri: `unix:${o.migrationSocket}` });
}

/**
 * The destination's second half, once the source's move has completed: the
 * migration checked complete here too, the guest run, the export ended, and
 * its NICs' addresses announced (switches learn where it is now).
 */
export async function runMovedIn(q: QmpClient, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = await q.execute<MigrateInfo>("query-migrate");
    if (m.status === "completed") break;
    if (migrationIsOver(m.status))
      throw new Error(
        `the migration ${m.status} on the destination${m["error-desc"] ? `: ${m["error-desc"]}` : ""}`,
      );
    if (Date.now() > end) throw new Error(`the migration did not complete on the destination (${m.status})`);
    await sleep(pollMs);
  }
  // The guest first: the source let go of the export before switching over, so its end waits on nothing.
  // Once it runs here the move is done: what follows is tidying, and its failure changes nothing.
  await q.execute("cont");
  await q.execute("nbd-server-stop").catch(() => {});
  await q.execute("announce-self", { initial: 50, max: 550, rounds: 5, step: 100 }).catch(() => {});
}

/** What a completed move took, by QEMU's own figures. */
export interface MoveFigures {
  totalMs: number;
  downtimeMs: number;
}

/**
 * The source's move: its disks mirrored into the destination's exports
 * (reached at `nbdSocket`), then the migration to `migrationSocket`. Resolves
 * once the migration has completed (the source's guest then stays paused:
 * the caller runs it at the destination, or takes it back with `cont` if the
 * destination fails before running it). On failure or timeout, everything is
 * undone (abandonMove) and the guest runs on here; then it rejects.
 */
export async function sendMove(
  q: QmpClient,
  o: {
    nbdSocket: string;
    migrationSocket: string;
    disks: readonly MovingDisk[];
    /** Bytes a second the migration may use (QEMU's default is 128 MiB/s). */
    maxBandwidth: number;
    timeoutMs: number;
    onProgress: (percent: number) => void;
    /** Nothing sent for `ms`: the channel is cut (QEMU's sockets then fail at once), and the move given up. */
    stall: { ms: number; cut: () => Promise<void> };
    /**
     * Asked once all is copied, the guest paused: leave to hand it over (the
     * point of no return). Rejects when refused, or when it cannot be had:
     * the move is then given up.
     */
    mayHandOver: () => Promise<void>;
  },
): Promise<MoveFigures> {
  const end = Date.now() + o.timeoutMs;
  const watch = new StallWatch(o.stall.ms, Date.now());
  const going = async (what: string, sent: number) => {
    if (Date.now() > end) throw new Error(`the move timed out ${what}`);
    if (watch.stalled(sent, Date.now())) {
      await o.stall.cut();
      throw new Error(
        `nothing went to the destination for ${Math.round(o.stall.ms / 1000)} s ${what}: the link between the hosts is down, or the destination stopped`,
      );
    }
  };
  try {
    for (const d of o.disks) {
      await q.execute("blockdev-add", {
        driver: "nbd",
        "node-name": targetNode(d.device),
        server: { type: "unix", path: o.nbdSocket },
        export: d.device,
      });
      await q.execute("blockdev-mirror", {
        "job-id": targetNode(d.device),
        device: d.device,
        target: targetNode(d.device),
        sync: d.sync,
        "copy-mode": "write-blocking",
      });
    }
    // The disks first: the migration starts once both copies are in step.
    for (;;) {
      const jobs = await mirrors(q, o.disks);
      o.onProgress(moveProgress(jobs, null));
      if (jobs.every((j) => j.ready)) break;
      await going("while copying the disks", bytesSent(jobs, null));
      await sleep(pollMs);
    }
    await q.execute("migrate-set-capabilities", {
      capabilities: [
        { capability: "events", state: true },
        { capability: "pause-before-switchover", state: true },
      ],
    });
    await q.execute("migrate-set-parameters", { "max-bandwidth": o.maxBandwidth });
    await q.execute("migrate", { uri: `unix:${o.migrationSocket}` });
    let switched = false;
    for (;;) {
      const m = await q.execute<MigrateInfo>("query-migrate");
      if (m.status === "completed") {
        o.onProgress(99);
        return figuresOf(m);
      }
      if (migrationIsOver(m.status))
        throw new Error(`the migration ${m.status}${m["error-desc"] ? `: ${m["error-desc"]}` : ""}`);
      if (m.status === "pre-switchover" && !switched) {
        // The guest is paused: the leave is asked while the mirrors, in step, end with nothing more to write.
        const [leave, ended] = await Promise.allSettled([o.mayHandOver(), endMirrors(q, o.disks, false)]);
        if (leave.status === "rejected") throw leave.reason;
        if (ended.status === "rejected") throw ended.reason;
        await q.execute("migrate-continue", { state: "pre-switchover" });
        switched = true;
      } else if (!switched) {
        const jobs = await mirrors(q, o.disks);
        o.onProgress(moveProgress(jobs, m));
        await going("while migrating", bytesSent(jobs, m));
      }
      // Once switching, QEMU alone ends it (completed, or failed and its guest run again here): a
      // timeout of ours could cancel a migration the destination has whole, and runs.
      await sleep(pollMs);
    }
  } catch (err) {
    // Handed over meanwhile (a timeout that came as it completed): the move is done, not failed.
    if (!(await abandonMove(q, o.disks))) return figuresOf(await q.execute<MigrateInfo>("query-migrate"));
    throw err;
  }
}

const figuresOf = (m: MigrateInfo): MoveFigures => ({
  totalMs: m["total-time"] ?? 0,
  downtimeMs: m.downtime ?? 0,
});

/**
 * Undoes a source's move that has not handed the guest over: the migration
 * cancelled, the mirrors and their NBD nodes gone, and the guest running
 * here again if the move had paused it. False, with nothing undone, when the
 * migration had completed (or completes: one switching over is not cut
 * short): the guest is the destination's to run then.
 */
export async function abandonMove(q: QmpClient, disks: readonly MovingDisk[]): Promise<boolean> {
  // Switching over (continued from pre-switchover, dcmgr's leave given): QEMU ends it alone, as
  // the destination may have it whole; the guest is handed over, or runs on here if it failed.
  for (;;) {
    const { status } = await q.execute<MigrateInfo>("query-migrate");
    if (status === "completed") return false;
    if (status !== "device") break;
    await sleep(pollMs);
  }
  await q.execute("migrate_cancel").catch(() => {});
  for (;;) {
    const m = await q.execute<MigrateInfo>("query-migrate").catch(() => ({ status: "none" }));
    // Completed as it was cancelled: handed over after all.
    if (m.status === "completed") return false;
    if (m.status !== "cancelling") break;
    await sleep(50);
  }
  await endMirrors(q, disks, true);
  const status = await q.execute<{ status: string }>("query-status");
  if (["paused", "finish-migrate"].includes(status.status)) await q.execute("cont");
  return true;
}

/**
 * Runs again a source's guest that handed itself over to a destination that
 * never ran it (that move failed): QEMU takes its disks back and goes on.
 */
export async function takeBack(q: QmpClient): Promise<void> {
  await q.execute("cont");
}

async function mirrors(q: QmpClient, disks: readonly MovingDisk[]): Promise<BlockJob[]> {
  const jobs = await q.execute<BlockJob[]>("query-block-jobs");
  return disks.map((d) => {
    const job = jobs.find((j) => j.device === targetNode(d.device));
    if (!job) throw new Error(`the copy of ${d.device} stopped`);
    return job;
  });
}

/** Cancels the mirrors (forced: at once, even if not in step) and removes their NBD nodes. */
async function endMirrors(q: QmpClient, disks: readonly MovingDisk[], force: boolean): Promise<void> {
  for (const d of disks)
    await q.execute("block-job-cancel", { device: targetNode(d.device), force }).catch(() => {});
  for (let i = 0; i < 200; i++) {
    const jobs = await q.execute<BlockJob[]>("query-block-jobs");
    if (!jobs.some((j) => disks.some((d) => j.device === targetNode(d.device)))) break;
    await sleep(25);
  }
  for (const d of disks)
    await q.execute("blockdev-del", { "node-name": targetNode(d.device) }).catch(() => {});
}
