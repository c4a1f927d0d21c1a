// Two sides of a move on this machine, for the live-move tests and bench:
// real QEMU processes (TCG) booting the test guest from a qcow2 overlay,
// each with its probe (7777) forwarded to a port of its own, the
// destination's files made as a destination host makes them, and the move
// channel between them over TCP on 127.0.0.1.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeMetadataDrive } from "../../src/hva/metadata-drive.js";
import { listenForMove, type MoveEnd, relayToMove } from "../../src/hva/move/channel.js";
import { debianOvmf } from "../../src/hva/vm/firmware.js";
import { type MovingDisk, receiveMove } from "../../src/hva/vm/live-move.js";
import type { TpmFiles } from "../../src/hva/vm/swtpm.js";
import { type DiskSpec, qemuArgs } from "../../src/qemu/command.js";
import { QmpClient } from "../../src/qemu/qmp.js";
import { askGuest, firstBootMetadata } from "../../src/testguest/client.js";
import { freePort } from "./net.js";

/** The guest's disks as they move: the overlay (its base is in the destination's cache), the metadata drive whole. */
export const movingDisks: MovingDisk[] = [
  { device: "disk0", sync: "top" },
  { device: "disk1", sync: "full" },
];
const token = "5a".repeat(32);

export interface Vm {
  qemu: ChildProcess;
  qmp: QmpClient;
  serial: string;
  probe: number;
}

export interface VmFiles {
  disk: string;
  metadata: string;
}

const virtualSize = (disk: string): number =>
  JSON.parse(execFileSync("qemu-img", ["info", "-U", "--output=json", disk], { encoding: "utf8" }))[
    "virtual-size"
  ];

/** The guest's counter (tenths of a second) and its uptime, through its probe. */
export async function count(vm: Vm, deadlineMs = 240_000): Promise<{ n: number; uptime: number }> {
  const answer = await askGuest(vm.probe, "count", deadlineMs, "127.0.0.1", 10_000);
  const m = /^count (\d+) uptime ([\d.]+)/.exec(answer);
  assert.ok(m, `the guest's counter: "${answer}"\n${readFileSync(vm.serial, "utf8").slice(-1500)}`);
  return { n: Number(m[1]), uptime: Number(m[2]) };
}

export const vmStatus = async (vm: Vm) => (await vm.qmp.execute<{ status: string }>("query-status")).status;

export function moveLab(dir: string) {
  const running: ChildProcess[] = [];
  const ends: MoveEnd[] = [];

  /** One side's VM. */
  async function startVm(
    name: string,
    files: VmFiles,
    o: { incoming?: boolean; uefiVars?: string; tpm?: TpmFiles; memoryMb?: number } = {},
  ): Promise<Vm> {
    const qmpSocket = join(dir, `${name}.qmp`);
    const serial = join(dir, `${name}.serial.log`);
    const probe = await freePort();
    const disks: DiskSpec[] = [
      { file: files.disk, format: "qcow2", bus: "virtio" },
      { file: files.metadata, format: "raw", bus: "virtio" },
    ];
    const args = qemuArgs({
      name,
      cpuCores: 1,
      // GRUB under OVMF runs out of memory in 256 MiB.
      memoryMb: o.memoryMb ?? (o.uefiVars ? 512 : 256),
      accel: "tcg",
      disks,
      nics: [
        {
          mac: "52:54:00:12:34:56",
          model: "virtio",
          backend: {
            kind: "user",
            network: { cidr: "10.0.2.0/24", gateway: "10.0.2.2", dns: null },
            guestAddress: "10.0.2.15",
            forwards: [{ protocol: "tcp", host_address: "127.0.0.1", host_port: probe, guest_port: 7777 }],
          },
        },
      ],
      qmpSocket,
      serialLog: serial,
      rtcBase: "utc",
      ...(o.uefiVars && { firmware: { code: debianOvmf.code, vars: o.uefiVars } }),
      ...(o.tpm && { tpm: { socket: o.tpm.swtpm.socket } }),
      incoming: o.incoming ?? false,
    });
    rmSync(qmpSocket, { force: true });
    const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
    running.push(qemu);
    let stderr = "";
    qemu.stderr!.on("data", (d) => {
      stderr += d;
    });
    for (let i = 0; i < 200 && !existsSync(qmpSocket); i++) await new Promise((r) => setTimeout(r, 50));
    const qmp = await QmpClient.connect(qmpSocket).catch((err: Error) => {
      throw new Error(`${err.message}; QEMU said: ${stderr.trim()}`);
    });
    return { qemu, qmp, serial, probe };
  }

  /** A qcow2 overlay over `base` (of `size`, else the base's). */
  function overlay(name: string, base: string, size?: string): string {
    const disk = join(dir, `${name}.qcow2`);
    execFileSync("qemu-img", [
      "create",
      "-q",
      "-f",
      "qcow2",
      "-b",
      base,
      "-F",
      "raw",
      disk,
      ...(size ? [size] : []),
    ]);
    return disk;
  }

  return {
    startVm,

    tpmFiles: (name: string): TpmFiles => ({
      tpmState: join(dir, `${name}-tpm`),
      swtpm: {
        socket: join(dir, `${name}-swtpm.sock`),
        pidFile: join(dir, `${name}-swtpm.pid`),
        log: join(dir, `${name}-swtpm.log`),
      },
    }),

    /** The source's files: an overlay (of `size`, else the base's) with `written` MiB of a pattern at its end; a metadata drive. */
    async sourceFiles(
      name: string,
      base: string,
      o: { size?: string; written?: number; firstBoot?: boolean } = {},
    ) {
      const disk = overlay(name, base, o.size);
      if (o.written) {
        // Past what the guest's filesystem uses: data only the overlay holds, as a guest's writes would be.
        const at = virtualSize(disk) - o.written * 2 ** 20;
        // In 256 MiB requests: qemu-io takes no single one of 2 GiB.
        const writes = [];
        for (let mib = 0; mib < o.written; mib += 256)
          writes.push("-c", `write -P 0x5a ${at + mib * 2 ** 20} ${Math.min(256, o.written - mib)}M`);
        execFileSync("qemu-io", ["-f", "qcow2", ...writes, disk], { stdio: "ignore" });
      }
      const metadata = join(dir, `${name}.metadata.img`);
      const key = join(dir, `${name}-key`);
      execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", key]);
      const publicKey = readFileSync(`${key}.pub`, "utf8");
      await writeMetadataDrive(metadata, firstBootMetadata(publicKey, { firstBoot: o.firstBoot ?? false }));
      return { disk, metadata, publicKey };
    },

    /** The destination's files, as it makes them: an empty overlay of the source's size over its own base, a zeroed drive. */
    destinationFiles(name: string, base: string, source: VmFiles): VmFiles {
      const disk = overlay(name, base, String(virtualSize(source.disk)));
      const metadata = join(dir, `${name}.metadata.img`);
      writeFileSync(metadata, "");
      execFileSync("truncate", ["-s", String(statSync(source.metadata).size), metadata]);
      return { disk, metadata };
    },

    /**
     * The destination's end of the channel with its QEMU awaiting the move;
     * the source's two relays (their sockets in `out`), and `stall`, which
     * cuts them when nothing went for `stallMs`.
     */
    async channel(name: string, destination: Vm, stallMs = 30_000) {
      const targets = { migration: join(dir, `${name}-in-mig.sock`), nbd: join(dir, `${name}-in-nbd.sock`) };
      const listener = await listenForMove({ address: "127.0.0.1", token, targets, log: () => {} });
      await receiveMove(destination.qmp, {
        nbdSocket: targets.nbd,
        migrationSocket: targets.migration,
        devices: movingDisks.map((d) => d.device),
      });
      const out = { migration: join(dir, `${name}-out-mig.sock`), nbd: join(dir, `${name}-out-nbd.sock`) };
      const relays = await Promise.all(
        (["migration", "nbd"] as const).map((stream) =>
          relayToMove({ socket: out[stream], host: "127.0.0.1", port: listener.port, token, stream }),
        ),
      );
      ends.push(listener, ...relays);
      const stall = {
        ms: stallMs,
        cut: async () => {
          for (const r of relays) await r.close();
        },
      };
      return { listener, out, stall };
    },

    /** Ends every channel and VM it made. */
    async close() {
      for (const e of ends) await e.close();
      for (const q of running) q.kill("SIGKILL");
    },
  };
}
