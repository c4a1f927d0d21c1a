// hva: the host agent, one per KVM host. It runs until Ctrl-C or SIGTERM and
// leaves its VMs running when it stops; the next hva adopts them.
import { readFile } from "node:fs/promises";
import { httpUrlListField, textField } from "../../model/fields.js";
import { wakameHome } from "../../store/config.js";
import { agentOptions, startAgentFromOptions } from "../agent-options.js";
import { command } from "../command.js";
import { withConfigFile } from "../config-file.js";
import { runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";
import { storeOptions, withStoreSettings } from "../store-options.js";
import { untilStopped } from "../until-stopped.js";

const hva = command({
  name: "hva",
  summary:
    "The wakame-ts host agent: runs the instances dcmgr places on this host as QEMU VMs (files under WAKAME_HOME).\n" +
    "Its token comes from --token-file or WAKAME_AGENT_TOKEN (vdc-manage token add --host-node-id hn-...).",
  args: [],
  options: {
    node_id: {
      field: textField({ max: 255 }),
      desc: "this host's node id, as in 'vdc-manage host add NODE_ID'",
      required: true,
    },
    dcmgr: {
      field: httpUrlListField,
      desc: "dcmgr's address; several, comma-separated, to fail over between API servers",
      default: ["http://127.0.0.1:9001"],
    },
    token_file: { field: textField({ max: 4096 }), desc: "a file holding the host node's token" },
    config: { field: textField({ max: 4096 }), desc: "a file of options, one 'name = value' per line" },
    home: {
      ...storeOptions.home,
      desc: "the directory for this host's instances and image cache (WAKAME_HOME, else ./var)",
    },
    ...agentOptions,
  },
  async run(_ctx: undefined, _args, o) {
    const token = o.token_file
      ? (
          await readFile(o.token_file, "utf8").catch((err: NodeJS.ErrnoException) => {
            throw new UserError(`cannot read --token-file ${o.token_file}: ${err.code}`);
          })
        ).trim()
      : process.env.WAKAME_AGENT_TOKEN;
    if (!token) {
      throw new UserError(
        "hva needs its host node's token: 'vdc-manage token add --host-node-id hn-...' prints one; pass it with --token-file FILE or WAKAME_AGENT_TOKEN",
      );
    }
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} hva: ${line}\n`);
    const agent = await startAgentFromOptions(o, {
      nodeId: o.node_id!,
      dcmgr: o.dcmgr!,
      token,
      home: wakameHome(withStoreSettings({ home: o.home })),
      log,
    });
    await untilStopped();
    await agent.stop();
    log("stopped; the VMs keep running and the next hva adopts them");
  },
});

process.exitCode = await runProgram(
  {
    root: hva,
    openContext: async () => undefined,
    closeContext: async () => {},
    expandArgs: (argv) =>
      withConfigFile(argv, {
        known: Object.keys(hva.options),
        path: "/etc/wakame-vdc/hva.conf",
        example: "node-id = hva.demo1",
      }),
  },
  process.argv.slice(2),
);
