// One dnsmasq per bridged network on this host, serving DHCP only, from the
// static entries of the instances placed here (no dynamic range: an unknown
// MAC gets nothing). It runs detached with a pid file, as QEMU does, so a
// restarted agent keeps it; a change of entries restarts it (a guest asking
// in that instant asks again, as DHCP clients do).
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { livePid } from "../../qemu/launch.js";
import { type BridgePlan, dnsmasqArgs } from "./bridge-plan.js";

const files = (dir: string) => ({ pid: join(dir, "dnsmasq.pid"), args: join(dir, "dnsmasq.args") });

/** dnsmasq, by its pid file, checked to be the one started with this pid file. */
const running = (pidFile: string) => livePid(pidFile, `--pid-file=${pidFile}`);

/** dnsmasq for the plan's network runs in `dir` with its entries; or, without DHCP, does not. */
export async function ensureDhcpServer(dir: string, plan: BridgePlan): Promise<void> {
  if (plan.dhcpHosts === null) return stopDhcpServer(dir);
  await mkdir(dir, { recursive: true });
  const f = files(dir);
  const args = dnsmasqArgs(plan, f.pid);
  const same = (await readFile(f.args, "utf8").catch(() => "")) === JSON.stringify(args);
  if (same && (await running(f.pid)) !== undefined) return;
  await stopDhcpServer(dir);
  // dnsmasq puts itself in the background once it listens, and writes its pid file.
  const child = spawn("dnsmasq", args, { stdio: ["ignore", "ignore", "pipe"] });
  let said = "";
  child.stderr!.setEncoding("utf8").on("data", (d) => {
    said += d;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", (err) =>
      reject(
        (err as { code?: string }).code === "ENOENT"
          ? new Error("dnsmasq is not installed: apt-get install dnsmasq-base")
          : err,
      ),
    );
    child.once("exit", resolve);
  });
  if (code !== 0)
    throw new Error(`dnsmasq for ${plan.network.id} did not start: ${said.trim() || `exit ${code}`}`);
  await writeFile(`${f.args}.tmp`, JSON.stringify(args));
  await rename(`${f.args}.tmp`, f.args);
}

export async function stopDhcpServer(dir: string): Promise<void> {
  const f = files(dir);
  const pid = await running(f.pid);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 50 && (await running(f.pid)) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
  }
  await rm(f.pid, { force: true });
  await rm(f.args, { force: true });
}

/** Stops the DHCP servers of every network under `networksDir` (a host's $WAKAME_HOME/networks) that runs. */
export async function stopDhcpServers(networksDir: string): Promise<void> {
  for (const id of await readdir(networksDir).catch(() => [])) await stopDhcpServer(join(networksDir, id));
}
