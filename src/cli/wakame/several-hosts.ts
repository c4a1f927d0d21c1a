// `wakame up --hosts N --network bridge`: N hosts on this machine, each a
// network namespace (host-namespaces.ts) with its own hva process and VMs,
// their bridges joined through a switch namespace, and this machine on the
// switch as the demo network's gateway (10.0.2.2), so that a client here
// reaches each instance at its own address. The agents reach dcmgr on the
// management bridge, through a forwarder to dcmgr's loopback address (the
// management bridge reaches the host namespaces only). Ctrl-C asks every
// running instance to power off through the API, as a user would, then stops
// the agents and removes the namespaces.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { InstanceDirectories } from "../../hva/instance-files.js";
import { stopDhcpServers } from "../../hva/network/dhcp-server.js";
import { defaultNetwork } from "../../model/vocabulary.js";
import { packageRoot } from "../../package-root.js";
import type { AcceleratorSetting } from "../../qemu/accelerator.js";
import { stopDetached } from "../../qemu/launch.js";
import type { Database } from "../../store/schema.js";
import { demoDhcpServer, exists, scheduleOn, vdcManage } from "./demo.js";
import { makeHostNamespaces } from "./host-namespaces.js";

const hostIdsOf = (count: number) => Array.from({ length: count }, (_, i) => `hn-h${i + 1}`);

const prefix = "wk";
const managementNet = "10.254.0";

/** Where the agents reach dcmgr: this machine's address on the management bridge. */
export const managementUrl = (port: number) => `http://${managementNet}.1:${port}`;
/** This machine's own port on the hosts' switch, which holds the demo network's gateway address. */
export const machineOnSwitchPort = `${prefix}-seg`;

export interface SeveralHostsOptions {
  count: number;
  home: string;
  /** Where dcmgr listens here; the agents reach it at the same port on the management bridge. */
  target: { host: string; port: number };
  accelerator: AcceleratorSetting;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface SeveralHosts {
  hosts: string[];
  /** Powers the instances off (`graceMs` for them to go), stops the agents, removes the namespaces. */
  stop(db: Kysely<Database>, graceMs: number): Promise<void>;
}

export async function startSeveralHosts(o: SeveralHostsOptions): Promise<SeveralHosts> {
  const net = makeHostNamespaces({
    prefix,
    count: o.count,
    managementNet,
    machineOnSwitch: `${defaultNetwork.ipv4_gw}/${defaultNetwork.prefix}`,
  });
  const { port } = o.target;
  const forwarder = createServer((client) => {
    const server = connect(port, o.target.host.replace(/^\[|\]$/g, ""));
    client.pipe(server).pipe(client);
    for (const s of [client, server]) s.on("error", () => client.destroy());
  });
  const children: ChildProcess[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      forwarder.once("error", reject);
      forwarder.listen(port, net.management, resolve);
    });
    // The hosts share this machine: each is offered its share of it.
    const share = (n: number) => Math.max(1, Math.floor(n / o.count));
    for (const h of net.hosts) {
      if (!(await exists(o.env, "host", `hn-${h.name}`)))
        await vdcManage(
          o.env,
          "host",
          "add",
          `hva.${h.name}`,
          `--uuid=hn-${h.name}`,
          `--display-name=host ${h.name} (wakame up --hosts)`,
          `--cpu-cores=${share(availableParallelism())}`,
          `--memory-size=${share(Math.floor(totalmem() / 2 ** 20))}`,
          "--hypervisor=kvm",
          "--arch=x86_64",
          "--force",
        );
    }
    // This machine runs no VMs of its own meanwhile: nothing is placed where no agent runs.
    await scheduleOn(o.env, hostIdsOf(net.hosts.length));
    const network = (await exists(o.env, "network", defaultNetwork.id))!;
    if (network.uplink !== "interface" || !network.dhcp_server)
      await vdcManage(
        o.env,
        "network",
        "modify",
        defaultNetwork.id,
        "--uplink=interface",
        `--dhcp-server=${network.dhcp_server ?? demoDhcpServer}`,
      );
    for (const h of net.hosts) {
      const home = join(o.home, "hosts", h.name);
      await mkdir(home, { recursive: true });
      const tokenFile = join(home, "hva.token");
      await writeFile(
        tokenFile,
        await vdcManage(
          o.env,
          "token",
          "add",
          `--host-node-id=hn-${h.name}`,
          "--description=wakame up --hosts",
        ),
        { mode: 0o600 },
      );
      const [cmd, argv] = net.inside(h, [
        process.execPath,
        join(packageRoot(), "bin", "hva.js"),
        `--node-id=hva.${h.name}`,
        `--dcmgr=${managementUrl(port)}`,
        `--token-file=${tokenFile}`,
        `--accelerator=${o.accelerator}`,
        "--network=bridge",
        "--uplink-device=up0",
      ]);
      const child = spawn(cmd, argv, {
        env: { ...o.env, WAKAME_HOME: home },
        stdio: ["ignore", "ignore", "pipe"],
      });
      child.stderr!.setEncoding("utf8").on("data", (d: string) => {
        for (const line of d.split("\n").filter(Boolean))
          o.log(`${h.name}: ${line.replace(/^\S+ hva: /, "")}`);
      });
      children.push(child);
    }
  } catch (err) {
    for (const c of children) c.kill("SIGTERM");
    forwarder.close();
    net.remove();
    throw err;
  }
  const hostIds = hostIdsOf(net.hosts.length);
  return {
    hosts: hostIds,
    async stop(db, graceMs) {
      // As a user would: asked to power off, then forced when the grace is up, as hn-local's agent does.
      const live = () =>
        db
          .selectFrom("instances")
          .select(["id", "account_id"])
          .where("host_node_id", "in", hostIds)
          .where("state", "in", ["running", "initializing", "halting"])
          .execute();
      const powerOff = async (force: boolean) => {
        for (const i of await live())
          await fetch(`http://${o.target.host}:${port}/api/12.03/instances/${i.id}/poweroff`, {
            method: "PUT",
            headers: { "X-VDC-Account-ID": i.account_id, "Content-Type": "application/json" },
            body: JSON.stringify({ force }),
          }).catch(() => {});
      };
      const until = async (ms: number) => {
        for (const end = Date.now() + ms; Date.now() < end && (await live()).length > 0; )
          await new Promise((r) => setTimeout(r, 250));
      };
      await powerOff(false);
      await until(graceMs);
      await powerOff(true);
      await until(15_000);
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once("exit", () => resolve());
              c.kill("SIGTERM");
            }),
        ),
      );
      // The agents leave their DHCP servers and VMs for the next agent; nobody comes after this one.
      for (const h of net.hosts) {
        const hostHome = join(o.home, "hosts", h.name);
        await stopDhcpServers(join(hostHome, "networks"));
        const instances = new InstanceDirectories(join(hostHome, "instances"));
        for (const id of await instances.ids()) {
          const files = instances.of(id);
          if (await stopDetached(files.pidFile, files.dir, "SIGKILL"))
            o.log(`${id}: stopped, it did not power off in time`);
        }
      }
      forwarder.close();
      net.remove();
    },
  };
}
