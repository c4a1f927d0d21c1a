// Starting a QEMU that outlives the process starting it: the host agent's
// instances and the image builder's VM both keep running when their command
// ends, and are found again by their pid file and QMP socket.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface DetachedFiles {
  qmpSocket: string;
  pidFile: string;
  /** QEMU's own stdout and stderr. */
  log: string;
}

/** The kernel's flag for its own threads, in /proc/PID/stat. */
const kernelThread = 0x00200000;

/**
 * The pid in `pidFile` while that process lives and its command line
 * mentions `mention` (its own directory, say): a pid reused by another
 * process after a reboot is not taken for the VM. A process that is exiting
 * has lost its command line but not yet its open files (the disk's lock):
 * it still counts as alive until it has let go of them, so that nothing
 * takes its disk too early. QEMU has many threads: its main thread can be a
 * zombie while the others, which share its files, are still ending.
 */
export async function livePid(pidFile: string, mention: string): Promise<number | undefined> {
  try {
    const pid = Number(await readFile(pidFile, "utf8"));
    if (!(pid > 0)) return undefined;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // "PID (COMM) STATE PPID ... FLAGS (9th) ... NUM_THREADS (20th) ...": COMM may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const [state, flags, threads] = [fields[0], Number(fields[6]), Number(fields[17])];
    if (flags & kernelThread) return undefined;
    if (state === "Z" || state === "X") return threads > 1 ? pid : undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(mention) || cmdline === "" ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `signal` to the detached process of `pidFile` (a VM, its swtpm) if it runs, and waits up to 5 s for it to end. */
export async function stopDetached(
  pidFile: string,
  mention: string,
  signal: NodeJS.Signals,
): Promise<boolean> {
  const pid = await livePid(pidFile, mention);
  if (!pid) return false;
  process.kill(pid, signal);
  for (let i = 0; i < 200 && (await livePid(pidFile, mention)); i++) await sleep(25);
  return true;
}

/** Whether a unix socket takes a connection now (closed at once: QMP serves one client at a time). */
function accepts(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(socket, () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

/**
 * Starts `qemu-system-x86_64 args` detached and waits until its pid file is
 * there and its QMP socket takes connections. `args` must name the same socket and pid file;
 * QEMU inherits `sockets` as fds 3, 4, ... (its NICs' stream backends).
 * A QEMU that exits at once is reported with its last line of output.
 */
export async function startDetachedQemu(
  args: readonly string[],
  files: DetachedFiles,
  sockets: readonly Socket[] = [],
): Promise<number> {
  await rm(files.qmpSocket, { force: true });
  await rm(files.pidFile, { force: true });
  const log = openSync(files.log, "w", 0o600);
  let exited = false;
  try {
    const child = spawn("qemu-system-x86_64", args, {
      detached: true,
      stdio: ["ignore", log, log, ...sockets],
    });
    child.on("exit", () => {
      exited = true;
    });
    child.on("error", () => {
      exited = true;
    });
    child.unref();
  } finally {
    closeSync(log);
    // QEMU holds its own copies now.
    for (const s of sockets) s.destroy();
  }
  for (let i = 0; i < 400 && !exited; i++) {
    const pid = existsSync(files.qmpSocket) ? await livePid(files.pidFile, files.qmpSocket) : undefined;
    // The socket file exists from QEMU's bind(); connections are taken from its listen().
    if (pid && (await accepts(files.qmpSocket))) return pid;
    await sleep(25);
  }
  const said = (await readFile(files.log, "utf8").catch(() => "")).trim().split("\n").at(-1);
  throw new Error(`QEMU did not start: ${said || `no message (see ${files.log})`}`);
}
