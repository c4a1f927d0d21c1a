// What an instance's own virtual hardware costs (issue 24), same run, same
// machine, under TCG as the agent chooses here: launch -> running of the test
// guest as a Windows image on the BIOS (i440fx, SeaBIOS, no TPM) against the
// same guest on UEFI with Secure Boot and a TPM (q35 with SMM, OVMF, its own
// variable store, its own swtpm). Median of 3 each, launched in turn through
// dcmgr and the host agent; ratio UEFI / BIOS. And each TPM instance's swtpm:
// its resident memory (RSS, and PSS, its share of pages it shares), and its
// state on disk, against its QEMU's RSS.
// Run: npm run bench:hardware
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { installScript } from "../src/imagebuild/install-script.js";
import { packageRoot } from "../src/package-root.js";
import { imagesDir } from "../src/store/config.js";
import { packageTestGuest } from "../src/testguest/package.js";
import { startLocalCloud } from "./local-cloud.js";

const runs = 3;
const home = mkdtempSync(join(tmpdir(), "wakame-bench-hardware-"));
process.env.WAKAME_HOME = home;
delete process.env.DATABASE_URL;
const env = process.env;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const mib = (kb: number) => (kb / 1024).toFixed(1);

/** A /proc figure of a process in kB: VmRSS from status, Pss from smaps_rollup. */
function kb(pid: number, file: "status" | "smaps_rollup", field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/${file}`, "utf8"));
  return Number(m?.[1]);
}

/** Bytes the files under `dir` take. */
const duBytes = (dir: string): number =>
  readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).blocks * 512, 0);

const keyFile = join(home, "key");
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", keyFile]);
const publicKey = readFileSync(`${keyFile}.pub`, "utf8");

try {
  const cloud = await startLocalCloud(home, env, () => {});
  // The same guest on UEFI, Secure Boot and a TPM, registered as a builder's .install.sh does it.
  const uefi = await packageTestGuest(imagesDir(env), () => {}, "uefi");
  const script = join(home, "testuefi.install.sh");
  writeFileSync(
    script,
    installScript({ name: "testuefi", ...uefi, features: ["virtio", "uefi", "secure_boot", "tpm"] }),
  );
  execFileSync("bash", [script], {
    env: { ...env, VDC_MANAGE: `${process.execPath} ${join(packageRoot(), "bin", "vdc-manage.js")}` },
  });
  const call = cloud.call;
  const key = (await call("POST", "/ssh_key_pairs.json", { public_key: publicKey })).id;
  const launched: Record<"bios" | "uefi", number[]> = { bios: [], uefi: [] };
  const swtpm: { rss: number; pss: number; state: number; qemuRss: number }[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [kind, image] of [
      ["bios", "wmi-testwin"],
      ["uefi", "wmi-testuefi"],
    ] as const) {
      const t0 = performance.now();
      const id = (
        await call("POST", "/instances.json", {
          image_id: image,
          instance_spec_name: "kvm.small",
          ssh_key_id: key,
        })
      ).id;
      for (;;) {
        const shown = await call("GET", `/instances/${id}.json`);
        if (shown.state === "halted") throw new Error(`${id} failed: ${shown.error}`);
        if (shown.state === "running") break;
        await sleep(50);
      }
      launched[kind].push(performance.now() - t0);
      if (kind === "uefi") {
        const dir = join(home, "instances", id);
        const pid = (file: string) => Number(readFileSync(join(dir, file), "utf8"));
        swtpm.push({
          rss: kb(pid("swtpm.pid"), "status", "VmRSS"),
          pss: kb(pid("swtpm.pid"), "smaps_rollup", "Pss"),
          state: duBytes(join(dir, "tpm")),
          qemuRss: kb(pid("qemu.pid"), "status", "VmRSS"),
        });
      }
      await call("DELETE", `/instances/${id}.json`);
      while ((await call("GET", `/instances/${id}.json`)).state !== "terminated") await sleep(50);
    }
  }
  await cloud.stop();

  const bios = median(launched.bios);
  const uefiRunning = median(launched.uefi);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, accelerator tcg`);
  console.log(
    `launch -> running, median of ${runs} (s): BIOS ${seconds(bios)}, UEFI + Secure Boot + vTPM ${seconds(uefiRunning)}`,
  );
  console.log(
    `  each (s): BIOS ${launched.bios.map(seconds).join(", ")}; UEFI ${launched.uefi.map(seconds).join(", ")}`,
  );
  console.log(`ratio UEFI + Secure Boot + vTPM / BIOS: ${(uefiRunning / bios).toFixed(2)}x`);
  const m = (f: (s: (typeof swtpm)[number]) => number) => median(swtpm.map(f));
  console.log(
    `swtpm per instance, median: RSS ${mib(m((s) => s.rss))} MiB, PSS ${mib(m((s) => s.pss))} MiB, state on disk ${(m((s) => s.state) / 1024).toFixed(0)} KiB; its QEMU's RSS ${mib(m((s) => s.qemuRss))} MiB (${((100 * m((s) => s.rss)) / m((s) => s.qemuRss)).toFixed(1)}%)`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
