// The host agent's options, the same for `hva` and `wakame up`.

import { AgentStartError, type HostAgent, type HostAgentOptions, startHostAgent } from "../hva/start.js";
import { enumField, intField, ipv4Field } from "../model/fields.js";
import { type AcceleratorSetting, acceleratorSettings } from "../qemu/accelerator.js";
import { UserError } from "./errors.js";

export const agentOptions = {
  accelerator: {
    field: enumField(acceleratorSettings),
    desc: "auto: KVM when a probe guest really boots under it, else TCG (slower, always works)",
    default: "auto" as AcceleratorSetting,
  },
  forward_address: {
    field: ipv4Field,
    desc: "where ports forwarded to instances listen (0.0.0.0: on every address of this host)",
    default: "127.0.0.1",
  },
  password_generation_timeout: {
    field: intField({ min: 1 }),
    desc: "seconds a Windows first boot may take to make its password",
    default: 1800,
  },
  powerdown_timeout: {
    field: intField({ min: 1 }),
    desc: "seconds a guest has to power off when asked before it is stopped",
    default: 60,
  },
};

type AgentOptionValues = { [K in keyof typeof agentOptions]?: (typeof agentOptions)[K]["default"] };

/** Starts a host agent with these options, its start-up refusals as the command's. */
export function startAgentFromOptions(
  o: AgentOptionValues,
  where: Pick<HostAgentOptions, "nodeId" | "dcmgr" | "token" | "home" | "log">,
): Promise<HostAgent> {
  return startHostAgent({
    ...where,
    accelerator: o.accelerator!,
    forwardAddress: o.forward_address!,
    firstBootTimeoutMs: o.password_generation_timeout! * 1000,
    powerdownTimeoutMs: o.powerdown_timeout! * 1000,
  }).catch((err: Error) => {
    throw err instanceof AgentStartError ? new UserError(err.message) : err;
  });
}
