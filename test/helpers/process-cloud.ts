// A one-host cloud as an operator runs it, for the end-to-end tests that
// need its parts apart (an agent killed and restarted, dcmgr restarted with
// other options): dcmgr and hva as commands, the host registered with the
// seed's vdc-manage command, the test guest registered by its .install.sh as
// wmi-testwin, and users' calls through mussel (JSON answers).
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { installScript } from "../../src/imagebuild/install-script.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { run, vdcManage } from "./cli.js";
import { type Mussel, musselWith } from "./mussel.js";
import { freePort } from "./net.js";
import { commandsOnPath, repoRoot } from "./paths.js";
import { qemuPids } from "./vms.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ShownInstance {
  id: string;
  state: string;
  status: string;
  error: string | null;
  image_id: string;
  password_ready: boolean;
  windows_options: { product_key: string | null } | null;
  backup: { backup_object_id: string; image_id: string; state: string; progress: number | null } | null;
  vif: { port_forwards: { guest_port: number; host_port: number; host_address: string }[] }[];
  host_node: string;
  move: { move_id: string; state: string; error: string | null } | null;
}

export interface ProcessCloud {
  home: string;
  /** http://127.0.0.1:PORT, dcmgr's. */
  origin: string;
  env: NodeJS.ProcessEnv;
  mussel: Mussel;
  /** What hva has printed so far. */
  hvaLog(): string;
  /** hva, with the cloud's agent options and `extra` ones. */
  startHva(...extra: string[]): void;
  stopHva(signal?: NodeJS.Signals): Promise<void>;
  /**
   * One more host, hn-NAME, with its own hva on this machine (its files
   * under hosts/NAME): instances may move to it. Its VMs' forwards are on
   * its own ports, as on another machine.
   */
  addHost(name: string): Promise<void>;
  /** Where hn-NAME keeps its instances' files (`addHost`); hn-demo1's for none. */
  instancesOn(name?: string): string;
  /** dcmgr stopped and started again on its port with these options. */
  restartDcmgr(args?: string[]): Promise<void>;
  show(id: string): Promise<ShownInstance>;
  /** Polls the instance until `done`, keeping the states it passed through in `seen`. */
  until(
    id: string,
    done: (i: ShownInstance) => boolean,
    ms?: number,
    seen?: string[],
  ): Promise<ShownInstance>;
  /** The guest's console so far. */
  serial(id: string): string;
  /** The host port forwarded to the guest's login check (3389). */
  port3389(i: ShownInstance): number;
  close(): Promise<void>;
}

function startProcess(env: NodeJS.ProcessEnv, command: string, args: string[], out: (t: string) => void) {
  const child = spawn(process.execPath, [resolve(repoRoot, "bin", `${command}.js`), ...args], { env });
  child.stdout!.on("data", (d) => out(String(d)));
  child.stderr!.on("data", (d) => out(String(d)));
  return child;
}

async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

export async function processCloud(
  home: string,
  o: { dcmgrArgs?: string[]; hvaArgs?: string[] } = {},
): Promise<ProcessCloud> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WAKAME_HOME: home,
    PATH: `${commandsOnPath()}:${process.env.PATH}`,
    DCMGR_HOST: "127.0.0.1",
    DCMGR_PORT: String(port),
    DCMGR_RESPONSE_FORMAT: "json",
  };
  delete env.DATABASE_URL;
  const mussel = musselWith(env);
  /** What each host's agent printed, by host: their lines would interleave in one. */
  const logs = new Map<string, string>();
  const hvaLog = () => [...logs.values()].join("\n");
  let hva: ChildProcess | undefined;
  const otherHosts: { name: string; hva: ChildProcess }[] = [];
  const serve = async (args: string[]) => {
    const child = startProcess(env, "dcmgr", ["--listen", `127.0.0.1:${port}`, ...args], () => {});
    for (let i = 0; i < 100 && !(await fetch(`${origin}/api/12.03/instance_specs`).catch(() => null)); i++)
      await sleep(100);
    return child;
  };
  let dcmgr = await serve(o.dcmgrArgs ?? []);
  /** Host hn-NAME registered as the seed document does it, and a token for its agent in `tokenFile`. */
  const registerHost = async (name: string, displayName: string, tokenFile: string) => {
    const host = await run(
      "bash",
      [
        "-c",
        `vdc-manage host add hva.${name} --uuid hn-${name} --display-name "${displayName}" --cpu-cores 100 --memory-size 10240 --hypervisor kvm --arch x86_64 --disk-space 102400 --force`,
      ],
      env,
    );
    assert.equal(host.code, 0, host.stderr);
    writeFileSync(tokenFile, (await vdcManage(["token", "add", "--host-node-id", `hn-${name}`], env)).stdout);
  };
  /** hn-NAME's agent, its files under `hostEnv`'s home. */
  const startAgent = (name: string, hostEnv: NodeJS.ProcessEnv, tokenFile: string, extra: string[]) =>
    startProcess(
      hostEnv,
      "hva",
      [
        ...["--node-id", `hva.${name}`, "--dcmgr", origin, "--token-file", tokenFile],
        ...["--accelerator", "tcg", ...(o.hvaArgs ?? []), ...extra],
      ],
      (t) => {
        logs.set(name, (logs.get(name) ?? "") + t);
      },
    );
  await registerHost("demo1", "demo HVA 1", join(home, "hva.token"));
  const images = join(home, "images");
  const packaged = await packageTestGuest(images, () => {});
  const script = join(images, `${packaged.objectKey}.install.sh`);
  writeFileSync(script, installScript({ name: "testwin", ...packaged }));
  const installed = await run("bash", [script, "backupobject", "image"], env);
  assert.equal(installed.code, 0, installed.stderr);

  const show = async (id: string) => JSON.parse(await mussel("instance", "show", id)) as ShownInstance;
  const cloud: ProcessCloud = {
    home,
    origin,
    env,
    mussel,
    hvaLog,
    startHva(...extra) {
      hva = startAgent("demo1", env, join(home, "hva.token"), extra);
    },
    stopHva: (signal) => stopProcess(hva, signal),
    async addHost(name) {
      const hostHome = join(home, "hosts", name);
      mkdirSync(hostHome, { recursive: true });
      const tokenFile = join(hostHome, "hva.token");
      await registerHost(name, `host ${name}`, tokenFile);
      otherHosts.push({ name, hva: startAgent(name, { ...env, WAKAME_HOME: hostHome }, tokenFile, []) });
    },
    instancesOn: (name) => (name ? join(home, "hosts", name, "instances") : join(home, "instances")),
    async restartDcmgr(args = []) {
      await stopProcess(dcmgr);
      dcmgr = await serve(args);
    },
    show,
    async until(id, done, ms = 180_000, seen = []) {
      const end = Date.now() + ms;
      for (;;) {
        const i = await show(id);
        if (seen.at(-1) !== i.state) seen.push(i.state);
        if (done(i)) return i;
        assert.ok(Date.now() < end, `${id} stuck in ${i.state} (${i.error}); hva said:\n${hvaLog()}`);
        await sleep(250);
      }
    },
    serial: (id) => readFileSync(join(home, "instances", id, "serial.log"), "utf8"),
    port3389: (i) => i.vif[0]!.port_forwards.find((f) => f.guest_port === 3389)!.host_port,
    async close() {
      await stopProcess(hva);
      for (const other of otherHosts) await stopProcess(other.hva);
      await stopProcess(dcmgr);
      for (const instances of [undefined, ...otherHosts.map((h) => h.name)].map(cloud.instancesOn)) {
        if (!existsSync(instances)) continue;
        for (const id of readdirSync(instances))
          for (const pid of qemuPids(join(instances, id))) process.kill(pid, "SIGKILL");
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  cloud.startHva();
  return cloud;
}

/** A 2048-bit RSA key pair in PEM, as a user makes one: its private key file (`.pub` beside it). */
export function rsaKey(file: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", file]);
  return file;
}
