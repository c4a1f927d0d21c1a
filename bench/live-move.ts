// Moving a running instance (issue 26): a 1 GiB test guest (TCG) whose disk
// overlay holds 2 GiB written since its image, moved between two QEMU
// processes on this machine through the move channel (TCP on 127.0.0.1).
// Ours: sendMove (write-blocking mirror, paused before switch-over, the
// mirrors ended then). The reference, in the same run on the same files:
// libvirt's defaults for `virsh migrate --live --copy-storage-inc` as its
// QMP sequence (a background mirror, bandwidth unlimited, QEMU's 300 ms
// downtime limit, no pause before switch-over: the mirror is ended once the
// migration has completed and the source is paused).
// Figures: total time (from the first copy to the guest running at the
// destination), QEMU's own downtime, and the guest's lost time: wall time
// that its counter (tenths of a second) did not see across the move, less
// what it misses anyway on this loaded TCG guest in as long a time before.
// Run: npm run bench:live-move [-- --runs 2 --memory-mib 1024 --data-gib 2]
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type MovingDisk, runMovedIn, sendMove } from "../src/hva/vm/live-move.js";
import type { QmpClient } from "../src/qemu/qmp.js";
import { ensureTestGuest } from "../src/testguest/build.js";
import { count, moveLab, movingDisks, type Vm } from "../test/helpers/move-lab.js";

const arg = (name: string, fallback: number) =>
  Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const runs = arg("runs", 2);
const memoryMib = arg("memory-mib", 1024);
const dataGib = arg("data-gib", 2);
const root = mkdtempSync(join(tmpdir(), "wakame-bench-move-"));
const lab = moveLab(root);

/** libvirt's default sequence, for the reference: background mirror, unlimited bandwidth, mirror ended after completion. */
async function libvirtDefaults(
  q: QmpClient,
  out: { nbd: string; migration: string },
  disks: readonly MovingDisk[],
) {
  for (const d of disks) {
    await q.execute("blockdev-add", {
      driver: "nbd",
      "node-name": `ref-${d.device}`,
      server: { type: "unix", path: out.nbd },
      export: d.device,
    });
    await q.execute("blockdev-mirror", {
      "job-id": `ref-${d.device}`,
      device: d.device,
      target: `ref-${d.device}`,
      sync: d.sync,
    });
  }
  while (!(await q.execute<{ ready: boolean }[]>("query-block-jobs")).every((j) => j.ready)) await sleep(200);
  await q.execute("migrate-set-parameters", { "max-bandwidth": Number.MAX_SAFE_INTEGER });
  await q.execute("migrate", { uri: `unix:${out.migration}` });
  for (;;) {
    const m = await q.execute<{ status: string; "total-time"?: number; downtime?: number }>("query-migrate");
    if (m.status === "completed") {
      for (const d of disks) await q.execute("block-job-cancel", { device: `ref-${d.device}` });
      while ((await q.execute<unknown[]>("query-block-jobs")).length > 0) await sleep(20);
      return { totalMs: m["total-time"] ?? 0, downtimeMs: m.downtime ?? 0 };
    }
    if (m.status === "failed" || m.status === "cancelled")
      throw new Error(`the reference migration ${m.status}`);
    await sleep(200);
  }
}

/** Wall seconds the guest's counter did not see between two readings. */
const unseen = (a: { n: number; at: number }, b: { n: number; at: number }) =>
  (b.at - a.at) / 1000 - (b.n - a.n) / 10;
const reading = async (vm: Vm) => ({ ...(await count(vm, 60_000)), at: Date.now() });

try {
  const guest = await ensureTestGuest();
  const base = join(root, "base.raw");
  copyFileSync(guest.disk, base);
  const rows: string[] = [];
  const took: Record<"ours" | "libvirt defaults", { total: number; down: number }[]> = {
    ours: [],
    "libvirt defaults": [],
  };
  for (let run = 1; run <= runs; run++) {
    for (const way of ["ours", "libvirt defaults"] as const) {
      const name = `${way === "ours" ? "o" : "l"}${run}`;
      const src = await lab.sourceFiles(`${name}-src`, base, {
        size: `${dataGib + 1}G`,
        written: dataGib * 1024,
      });
      const source = await lab.startVm(`${name}-src`, src, { memoryMb: memoryMib });
      // As long a time as a move takes, before it: what this guest misses anyway.
      const b0 = await reading(source);
      await sleep(15_000);
      const b1 = await reading(source);
      const baselineRate = unseen(b0, b1) / ((b1.at - b0.at) / 1000);
      const destination = await lab.startVm(`${name}-dst`, lab.destinationFiles(`${name}-dst`, base, src), {
        incoming: true,
        memoryMb: memoryMib,
      });
      const { out, stall } = await lab.channel(name, destination);
      const before = await reading(source);
      const t0 = performance.now();
      const figures =
        way === "ours"
          ? await sendMove(source.qmp, {
              nbdSocket: out.nbd,
              migrationSocket: out.migration,
              disks: movingDisks,
              // dcmgr's leave, asked while the guest is paused: the agent's figure is in its log.
              mayHandOver: async () => {},
              maxBandwidth: Number.MAX_SAFE_INTEGER,
              timeoutMs: 600_000,
              stall,
              onProgress: () => {},
            })
          : await libvirtDefaults(source.qmp, out, movingDisks);
      await runMovedIn(destination.qmp, 60_000);
      const totalS = (performance.now() - t0) / 1000;
      source.qemu.kill("SIGKILL");
      const moved = await reading(destination);
      const lostS = unseen(before, moved) - baselineRate * ((moved.at - before.at) / 1000);
      took[way].push({ total: totalS, down: figures.downtimeMs });
      rows.push(
        `| ${run} | ${way} | ${totalS.toFixed(1)} | ${(figures.totalMs / 1000).toFixed(1)} | ${figures.downtimeMs} | ${Math.max(0, lostS).toFixed(2)} |`,
      );
      console.error(rows.at(-1));
      destination.qemu.kill("SIGKILL");
      await lab.close();
    }
  }
  console.log(
    `A ${memoryMib} MiB guest with ${dataGib} GiB written in its overlay, moved between two QEMUs (TCG) here.`,
  );
  console.log("| run | way | total s | QEMU's migration s | QEMU's downtime ms | guest's lost s |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
  took.ours.forEach((o, i) => {
    const ref = took["libvirt defaults"][i]!;
    console.log(
      `run ${i + 1}: total ${(ref.total / o.total).toFixed(2)}x faster than libvirt's defaults; QEMU's downtime ${o.down} ms against ${ref.down} ms`,
    );
  });
} finally {
  await lab.close();
  rmSync(root, { recursive: true, force: true });
}
