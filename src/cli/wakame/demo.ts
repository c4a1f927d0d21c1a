// The all-in-one cloud's own host node and demo image, registered the way an
// operator registers them: with `vdc-manage` and the image's `.install.sh`
// (seed-windows-support.md). Run again, it changes only what changed: a
// rebuilt test guest updates the backup object, nothing is added twice.
import { execFile } from "node:child_process";
import { mkdir, statfs, writeFile } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import { installScript } from "../../imagebuild/install-script.js";
import { defaultNetwork } from "../../model/vocabulary.js";
import { packageRoot } from "../../package-root.js";
import { packageTestGuest } from "../../testguest/package.js";

export const localHost = { uuid: "hn-local", nodeId: "hva.local" };
/** The test guest's registration: bo-testwin and wmi-testwin. */
const demoName = "testwin";
export const demoImageId = `wmi-${demoName}`;
const tokenDescription = "wakame up's host agent";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function runCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) || 1 : 0, stdout, stderr }),
    );
  });
}

/** The package's own vdc-manage, with the same store settings as this process. */
function vdcManageCommand(): string[] {
  return [process.execPath, join(packageRoot(), "bin", "vdc-manage.js")];
}

export async function vdcManage(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const [node, script] = vdcManageCommand();
  const r = await runCommand(node!, [script!, ...args], env);
  if (r.code !== 0) throw new Error(`vdc-manage ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function exists(
  env: NodeJS.ProcessEnv,
  what: string,
  uuid: string,
): Promise<Record<string, unknown> | null> {
  const [node, script] = vdcManageCommand();
  const r = await runCommand(node!, [script!, what, "show", uuid, "--json"], env);
  return r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : null;
}

/** This machine as host node hn-local (node id hva.local), with its cores, memory and disk. */
export async function registerLocalHost(env: NodeJS.ProcessEnv, home: string): Promise<void> {
  if (await exists(env, "host", localHost.uuid)) return;
  await mkdir(home, { recursive: true });
  const disk = await statfs(home);
  await vdcManage(
    env,
    "host",
    "add",
    localHost.nodeId,
    `--uuid=${localHost.uuid}`,
    "--display-name=this machine (wakame up)",
    `--cpu-cores=${availableParallelism()}`,
    `--memory-size=${Math.floor(totalmem() / 2 ** 20)}`,
    "--hypervisor=kvm",
    "--arch=x86_64",
    `--disk-space=${Math.floor((disk.bavail * disk.bsize) / 2 ** 20)}`,
    "--force",
  );
}

/** The test guest, packaged as a tgz in the backup storage and registered as wmi-testwin. */
export async function registerDemoImage(
  env: NodeJS.ProcessEnv,
  imagesDir: string,
  log: (line: string) => void,
): Promise<void> {
  const values = await packageTestGuest(imagesDir, log);
  const object = await exists(env, "backupobject", `bo-${demoName}`);
  const parts: string[] = [];
  if (!object) parts.push("backupobject");
  else if (object.object_key !== values.objectKey) {
    await vdcManage(
      env,
      "backupobject",
      "modify",
      `bo-${demoName}`,
      `--object-key=${values.objectKey}`,
      `--size=${values.size}`,
      `--allocation-size=${values.allocationSize}`,
      `--checksum=${values.checksum}`,
    );
  }
  if (!(await exists(env, "image", demoImageId))) parts.push("image");
  if (parts.length === 0) return;
  const script = join(imagesDir, `${values.objectKey}.install.sh`);
  await writeFile(script, installScript({ name: demoName, ...values }));
  const r = await runCommand("bash", [script, ...parts], {
    ...env,
    VDC_MANAGE: vdcManageCommand().join(" "),
  });
  if (r.code !== 0) throw new Error(`${script}: ${r.stderr.trim()}`);
}

/** A fresh token for the local host's agent; the tokens of earlier runs are revoked. */
export async function localAgentToken(env: NodeJS.ProcessEnv): Promise<string> {
  const tokens = JSON.parse(await vdcManage(env, "token", "show", "--json")) as {
    id: string;
    subject_id: string;
    description: string | null;
  }[];
  for (const t of tokens) {
    if (t.subject_id === localHost.uuid && t.description === tokenDescription)
      await vdcManage(env, "token", "del", t.id);
  }
  return (
    await vdcManage(
      env,
      "token",
      "add",
      `--host-node-id=${localHost.uuid}`,
      `--description=${tokenDescription}`,
    )
  ).trim();
}

/** Where the bridged demo network's DHCP server answers from: outside its lease range. */
export const demoDhcpServer = "10.0.2.253";

/**
 * The demo network made ready for bridged networking with this machine as
 * its only host and its gateway: a DHCP server and NAT, no uplink. Settings
 * an operator gave it already are kept.
 */
export async function bridgeDemoNetwork(env: NodeJS.ProcessEnv): Promise<{ cidr: string; gateway: string }> {
  const network = (await exists(env, "network", defaultNetwork.id))!;
  if (!network.dhcp_server)
    await vdcManage(env, "network", "modify", defaultNetwork.id, `--dhcp-server=${demoDhcpServer}`, "--nat");
  return { cidr: `${network.ipv4_network}/${network.prefix}`, gateway: String(network.ipv4_gw) };
}

/**
 * New instances go to these of wakame up's own hosts (hn-local, or the
 * namespaced hosts hn-h1...) and to no other of them: none is placed where
 * no agent runs this time. Hosts an operator added are left alone.
 */
export async function scheduleOn(env: NodeJS.ProcessEnv, uuids: readonly string[]): Promise<void> {
  const hosts = JSON.parse(await vdcManage(env, "host", "show", "--json")) as {
    id: string;
    scheduling_enabled: boolean | number;
  }[];
  for (const h of hosts) {
    if (h.id !== localHost.uuid && !/^hn-h\d+$/.test(h.id)) continue;
    const wanted = uuids.includes(h.id);
    if (Boolean(h.scheduling_enabled) !== wanted)
      await vdcManage(env, "host", "modify", h.id, `--scheduling-enabled=${wanted}`);
  }
}
