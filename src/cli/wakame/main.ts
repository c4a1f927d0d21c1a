// `wakame up`: the all-in-one cloud on this machine: the store under
// WAKAME_HOME, the API server, this machine registered as host node hn-local
// with its host agent running in-process, and the Linux test guest
// registered as the demo image wmi-testwin. Ctrl-C powers the VMs off and
// stops everything.

import { execFileSync } from "node:child_process";
import { bridgeName } from "../../hva/network/bridge-plan.js";
import { intField } from "../../model/fields.js";
import { inNetwork, networkAddress } from "../../model/ipv4.js";
import { defaultNetwork } from "../../model/vocabulary.js";
import { imagesDir, wakameHome } from "../../store/config.js";
import { agentOptions, startAgentFromOptions } from "../agent-options.js";
import { apiOptions } from "../api-options.js";
import { type CommandGroup, command } from "../command.js";
import { runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";
import { serveFromOptions } from "../serve-api.js";
import { openStoreFromEnv } from "../store-context.js";
import { untilStopped } from "../until-stopped.js";
import {
  bridgeDemoNetwork,
  demoImageId,
  localAgentToken,
  localHost,
  registerDemoImage,
  registerLocalHost,
  scheduleOn,
} from "./demo.js";
import { machineOnSwitchPort, managementUrl, startSeveralHosts } from "./several-hosts.js";

/** How long guests get to power off on Ctrl-C before they are stopped. */
const shutdownGraceMs = 15_000;

const up = command({
  name: "up",
  summary:
    "Start the all-in-one cloud: the API, this machine as host node hn-local with its agent, and the demo image wmi-testwin; Ctrl-C stops it, VMs included",
  args: [],
  options: {
    ...apiOptions,
    ...agentOptions,
    hosts: {
      field: intField({ min: 1, max: 8 }),
      desc: "with --network bridge: this many hosts, each a network namespace with its own hva (root)",
    },
  },
  async run(_ctx: undefined, _args, o) {
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} wakame: ${line}\n`);
    const bridged = o.network === "bridge";
    if (o.hosts !== undefined && !bridged)
      throw new UserError(
        "--hosts needs --network bridge: the hosts are network namespaces joined by bridges",
      );
    const store = await openStoreFromEnv();
    try {
      const { host, port } = o.listen!;
      const reachable =
        host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
      // With --hosts, consoles wait for agents that reach dcmgr on the management bridge.
      const api = await serveFromOptions(
        store,
        { ...o, ...(o.hosts && { agentUrl: managementUrl(port) }) },
        false,
      );
      try {
        const home = wakameHome();
        await registerLocalHost(process.env, home);
        await registerDemoImage(process.env, imagesDir(), log);
        if (o.hosts !== undefined) {
          refuseRouteClash(`${defaultNetwork.ipv4_network}/${defaultNetwork.prefix}`);
          const several = await startSeveralHosts({
            count: o.hosts,
            home,
            target: { host: reachable, port },
            accelerator: o.accelerator!,
            env: process.env,
            log,
          });
          const hostLine = `host nodes: ${several.hosts.join(", ")}, each a network namespace with its hva`;
          process.stdout.write(welcome(store.description, api.url, host, port, hostLine, true));
          await untilStopped();
          log("stopping: powering the VMs off");
          await several.stop(store.db, shutdownGraceMs);
        } else {
          await scheduleOn(process.env, [localHost.uuid]);
          if (bridged) refuseRouteClash((await bridgeDemoNetwork(process.env)).cidr);
          // Bridged, this machine is the demo network's only host, and so its gateway.
          const agent = await startAgentFromOptions(bridged ? { ...o, gateway: true } : o, {
            nodeId: localHost.nodeId,
            dcmgr: [`http://${reachable}:${port}`],
            token: await localAgentToken(process.env),
            home,
            log,
          });
          const hostLine = `host node:  ${localHost.uuid} (${localHost.nodeId}), VMs on ${agent.accel}`;
          process.stdout.write(welcome(store.description, api.url, host, port, hostLine, bridged));
          await untilStopped();
          log("stopping: powering the VMs off");
          await agent.stop();
          await agent.agent.powerOffAll(shutdownGraceMs);
          // A demo's end takes everything down: the bridges, taps, DHCP servers and nftables
          // tables an hva would leave for the next one too.
          await agent.agent.takeDownNetwork();
        }
      } finally {
        await api.stop();
      }
      log("stopped");
    } finally {
      await store.close();
    }
  },
});

/**
 * A bridged demo network routed here already by another interface (this
 * machine inside a VM on the same addresses, say) would be cut off or cut
 * this machine off: refused, with how to choose other addresses.
 */
function refuseRouteClash(cidr: string): void {
  const [net, prefix] = [cidr.split("/")[0]!, Number(cidr.split("/")[1])];
  const routes = JSON.parse(execFileSync("ip", ["-j", "-4", "route", "show"], { encoding: "utf8" })) as {
    dst: string;
    dev: string;
  }[];
  const ours = bridgeName(defaultNetwork.id);
  for (const r of routes) {
    if (r.dst === "default" || r.dev === ours || r.dev === machineOnSwitchPort) continue;
    const [address, bits] = [r.dst.split("/")[0]!, Number(r.dst.split("/")[1] ?? 32)];
    const overlap = inNetwork(address, net, prefix) || inNetwork(net, networkAddress(address, bits), bits);
    if (overlap)
      throw new UserError(
        `the demo network ${cidr} is routed on this machine already (${r.dst} dev ${r.dev}): give it other addresses with 'vdc-manage network modify ${defaultNetwork.id} --ipv4-network ... --ipv4-gw ... --range-begin ... --range-end ... --dhcp-server ...', or use --network user`,
      );
  }
}

function welcome(
  storeDescription: string,
  url: string,
  host: string,
  port: number,
  hostLine: string,
  bridged: boolean,
): string {
  const env = host === "127.0.0.1" && port === 9001 ? "" : `DCMGR_HOST=${host} DCMGR_PORT=${port} `;
  return [
    `wakame-ts is up: store ${storeDescription}`,
    `  web GUI:    ${url.replace(/\/api\/12\.03$/, "/")}`,
    `  API:        ${url}`,
    `  ${hostLine}`,
    `  demo image: ${demoImageId} (the Linux test guest, registered as a Windows image)`,
    "",
    "Launch a Windows-style instance and read its password, in another shell:",
    "  ssh-keygen -t rsa -m PEM -N '' -f demo-key",
    `  ${env}mussel ssh_key_pair create --public-key demo-key.pub`,
    `  ${env}mussel security_group create --rule tcp:3389,3389,ip4:0.0.0.0`,
    `  ${env}mussel instance create --image-id ${demoImageId} --instance-spec-name kvm.small \\`,
    "      --ssh-key-id ssh-XXXXXXXX --security-groups sg-XXXXXXXX",
    `  ${env}mussel instance show i-XXXXXXXX      # initializing, then running`,
    `  ${env}mussel instance decrypt_password i-XXXXXXXX demo-key`,
    bridged
      ? `The instance is reached at its own address (vif[0].ipv4.address), as far as its groups allow: this machine is the demo network's gateway on ${bridgeName(defaultNetwork.id)}. Ctrl-C stops.`
      : "The instance's port 3389 is forwarded to the host port its vif's port_forwards show. Ctrl-C stops.",
    "",
  ].join("\n");
}

const root: CommandGroup<undefined> = {
  name: "wakame",
  summary: "The all-in-one wakame-ts cloud on this machine.",
  commands: [up],
};

process.exitCode = await runProgram(
  { root, openContext: async () => undefined, closeContext: async () => {} },
  process.argv.slice(2),
);
