// The host agent's options, the same for `hva` and `wakame up`.
import { acceleratorSettings } from "../hva/accelerator.js";
import { enumField, intField, ipv4Field } from "../model/fields.js";

export const agentOptions = {
  accelerator: {
    field: enumField(acceleratorSettings),
    desc: "auto: KVM when a probe guest really boots under it, else TCG (slower, always works)",
    default: "auto" as const,
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
