// An instance's TPM 2.0 (or an image build's VM's): its own swtpm (Debian's
// swtpm), its state in the instance's directory, so nothing of it is visible to another instance and
// it lasts as long as the instance does. Made once (swtpm_setup: an endorsement
// key, NV locked), started before each start of the VM, and ending by itself
// when QEMU lets go of it (--terminate); a restarted agent finds it by its pid
// file, as it finds QEMU.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { livePid, stopDetached } from "../../qemu/launch.js";

const run = promisify(execFile);

/** Where one TPM lives: its state directory, and its swtpm's socket, pid file and log (an instance's, or a build VM's). */
export interface TpmFiles {
  tpmState: string;
  swtpm: { socket: string; pidFile: string; log: string };
}

export async function swtpmAlive(files: TpmFiles): Promise<boolean> {
  return (await livePid(files.swtpm.pidFile, files.tpmState)) !== undefined;
}

/** Makes the TPM's state on the instance's first start; later starts keep what the guest wrote. */
async function manufacture(files: TpmFiles): Promise<void> {
  if (existsSync(join(files.tpmState, "tpm2-00.permall"))) return;
  await rm(files.tpmState, { recursive: true, force: true });
  await mkdir(files.tpmState, { mode: 0o700 });
  await run("swtpm_setup", [
    "--tpm2",
    "--tpmstate",
    files.tpmState,
    "--createek",
    "--lock-nvram",
    "--not-overwrite",
  ]).catch((err: Error & { stderr?: string }) => {
    throw new Error(
      `cannot make its TPM's state (swtpm_setup): ${(err.stderr ?? err.message).trim().split("\n").at(-1)}`,
    );
  });
}

/**
 * Starts the instance's swtpm and waits for its socket: QEMU connects to it
 * at start. A move's destination (`incoming`) starts it on an empty state:
 * the TPM's state comes in the migration stream, as QEMU's tpm-emulator
 * hands it over.
 */
export async function startSwtpm(files: TpmFiles, o: { incoming?: boolean } = {}): Promise<void> {
  if (o.incoming) {
    await rm(files.tpmState, { recursive: true, force: true });
    await mkdir(files.tpmState, { mode: 0o700 });
  } else {
    await manufacture(files);
  }
  const { socket, pidFile, log } = files.swtpm;
  await stopDetached(pidFile, files.tpmState, "SIGKILL");
  await rm(socket, { force: true });
  const child = spawn(
    "swtpm",
    [
      "socket",
      "--tpm2",
      "--tpmstate",
      `dir=${files.tpmState}`,
      "--ctrl",
      `type=unixio,path=${socket}`,
      "--pid",
      `file=${pidFile}`,
      "--log",
      `file=${log}`,
      "--daemon",
      "--terminate",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let said = "";
  child.stderr.on("data", (chunk) => {
    said += chunk;
  });
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(-1));
    child.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`its TPM (swtpm) did not start: ${said.trim() || `exit ${code}`}`);
  for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(10);
  if (!existsSync(socket)) throw new Error(`its TPM (swtpm) made no socket at ${socket}`);
}

/** Ends the instance's swtpm if it still runs (it ends by itself with its QEMU). */
export async function stopSwtpm(files: TpmFiles): Promise<void> {
  await stopDetached(files.swtpm.pidFile, files.tpmState, "SIGTERM");
}
