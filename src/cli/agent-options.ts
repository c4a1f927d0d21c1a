// The host agent's options, the same for `hva` and `wakame up`.

import { missingForBridged } from "../hva/capabilities.js";
import { AgentStartError, type HostAgent, type HostAgentOptions, startHostAgent } from "../hva/start.js";
import { cpuModelField, tcgCpuModel } from "../model/cpu-model.js";
import { extraHostsField } from "../model/extra-hosts.js";
import { enumField, fileListField, flagField, intField, ipv4Field, textField } from "../model/fields.js";
import { trustedCas } from "../net/trusted-fetch.js";
import { type AcceleratorSetting, acceleratorSettings } from "../qemu/accelerator.js";
import { UserError } from "./errors.js";

export const agentOptions = {
  accelerator: {
    field: enumField(acceleratorSettings),
    desc: "auto: KVM when a probe guest really boots under it, else TCG (slower, always works)",
    default: "auto" as AcceleratorSetting,
  },
  network: {
    field: enumField(["user", "bridge"] as const),
    desc: "user: a NAT of the guest's own, walled off from this host, reached by forwarded ports; bridge: taps on bridges, nftables security groups, DHCP (root)",
    default: "user" as "user" | "bridge",
  },
  uplink_device: {
    field: textField({ max: 15, pattern: /^[A-Za-z0-9_.-]+$/, patternWords: "an interface name" }),
    desc: "with --network bridge: the host's device networks' uplinks join (itself, a VLAN or a VXLAN on it)",
  },
  gateway: {
    field: flagField,
    desc: "with --network bridge: this host holds its networks' gateway address and masquerades those with nat",
    default: false,
  },
  forward_address: {
    field: ipv4Field,
    desc: "where ports forwarded to instances listen (0.0.0.0: on every address of this host)",
    default: "127.0.0.1",
  },
  guest_user: {
    field: textField({
      max: 64,
      pattern: /^[a-z_][a-z0-9_-]*\$?$|^\d+:\d+$/,
      patternWords: "a user name or UID:GID",
    }),
    desc: "user-mode guests' network stack (passt) runs as this user, whose connections to this host are refused",
    default: "wakame-vdc-guest",
  },
  ca_file: {
    field: textField({ max: 4096 }),
    desc: "with an https:// dcmgr: a CA certificate to trust besides the system's (a self-signed dcmgr's own)",
  },
  cpu_model: {
    field: cpuModelField,
    desc: `the CPU instances see when their spec names none (default: host under KVM, ${tcgCpuModel} under TCG)`,
  },
  secure_boot_kek: {
    field: fileListField,
    desc: "KEK certificates to enroll in Secure Boot instances' variable stores (Microsoft's KEK CA 2011 and 2023); with --secure-boot-db",
  },
  secure_boot_db: {
    field: fileListField,
    desc: "db certificates to enroll (Microsoft's Windows PCA 2011, Windows UEFI CA 2023, UEFI CA 2011 and 2023); without these, Debian's OVMF_VARS_4M.ms.fd (2011 only)",
  },
  extra_hosts: {
    field: extraHostsField,
    desc: "hosts entries for this host's instances (meta-data/extra-hosts/), e.g. kms.example.com=192.168.1.10",
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

type AgentOptionValues = {
  [K in keyof typeof agentOptions]?: (typeof agentOptions)[K] extends { default: infer D }
    ? D
    : ReturnType<(typeof agentOptions)[K]["field"]["parse"]>;
};

/** Starts a host agent with these options, its start-up refusals as the command's. */
export function startAgentFromOptions(
  o: AgentOptionValues,
  where: Pick<HostAgentOptions, "nodeId" | "dcmgr" | "token" | "home" | "log">,
): Promise<HostAgent> {
  if (o.network !== "bridge" && (o.uplink_device || o.gateway))
    throw new UserError("--uplink-device and --gateway are for bridged networking: add --network bridge");
  const missing = o.network === "bridge" ? missingForBridged() : [];
  if (missing.length > 0)
    throw new UserError(
      `--network bridge makes bridges, taps, nftables rules and DHCP servers, which needs ${missing.join(", ")}: run hva as root or as wakame-vdc-hva.service (AmbientCapabilities), or use --network user`,
    );
  if (!o.secure_boot_kek !== !o.secure_boot_db)
    throw new UserError(
      "--secure-boot-kek and --secure-boot-db go together: give both, or neither for Debian's Microsoft 2011 store",
    );
  let ca: string[] | undefined;
  try {
    ca = o.ca_file ? trustedCas(o.ca_file) : undefined;
  } catch (err) {
    throw new UserError(`--ca-file: ${(err as Error).message}`);
  }
  return startHostAgent({
    ...where,
    ca,
    accelerator: o.accelerator!,
    cpuModel: o.cpu_model,
    ...(o.secure_boot_kek &&
      o.secure_boot_db && { secureBoot: { kek: o.secure_boot_kek, db: o.secure_boot_db } }),
    network:
      o.network === "bridge"
        ? { kind: "bridge", uplinkDevice: o.uplink_device ?? null, gateway: o.gateway! }
        : { kind: "user", forwardAddress: o.forward_address!, guestUser: o.guest_user! },
    extraHosts: o.extra_hosts ?? {},
    firstBootTimeoutMs: o.password_generation_timeout! * 1000,
    powerdownTimeoutMs: o.powerdown_timeout! * 1000,
  }).catch((err: Error) => {
    throw err instanceof AgentStartError ? new UserError(err.message) : err;
  });
}
