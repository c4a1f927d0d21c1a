// The contract between dcmgr and its host agents (/api/agent/v1): what a
// host's state is made of, what an agent reports, and the shapes dcmgr checks
// those reports with. dcmgr's routes and loaders (src/dcmgr/host-state/) and
// the agent's client (src/hva/agent-api.ts) both import it, so a field added
// on one side and not the other does not compile.
import {
  enumField,
  type Field,
  FieldError,
  flagField,
  intField,
  ipv4Field,
  listField,
  textField,
} from "./fields.js";
import { capabilitiesField } from "./host-capabilities.js";
import {
  type InstanceState,
  instanceStates,
  type RequestedAction,
  requestedActions,
} from "./instance-state.js";
import type { MoveKind, MoveRole } from "./move.js";
import type { PortForward } from "./port-forward.js";
import type { ShapeInput } from "./shape.js";
import type { ContainerFormat, FileFormat, OsType } from "./vocabulary.js";
import type { WindowsOptions } from "./windows-options.js";

export const agentApiPrefix = "/api/agent/v1";

export interface SecurityGroupRule {
  protocol: string;
  from_port: number;
  to_port: number;
  source_cidr: string | null;
  source_group_id: string | null;
}

/** An image's file as the agent fetches it: the backup storage's base URI and the object's key in it (model/object-key.ts). */
export interface WantedBackupObject {
  id: string;
  storage_uri: string;
  object_key: string;
  container_format: ContainerFormat;
  size: number;
  allocation_size: number;
  checksum: string;
}

export interface WantedImage {
  id: string;
  file_format: FileFormat;
  features: Record<string, boolean>;
  is_cacheable: boolean;
  /** Sysprep'd: an instance of it goes through the first boot. Else it boots as its source was, password and all. */
  generalized: boolean;
  backup_object: WantedBackupObject;
}

export interface WantedVif {
  id: string;
  index: number;
  network_id: string;
  mac_address: string;
  ipv4_address: string | null;
  netmask: string;
  gateway: string | null;
  dns: string | null;
}

/**
 * A backup of the instance under way (PUT /instances/:id/backup): the agent
 * generalizes the guest first when asked, then writes the disk, flattened
 * and packed, to `object_key` in the storage and reports on the object.
 */
export interface WantedBackup {
  backup_object_id: string;
  image_id: string;
  /** pending: not begun; creating: begun (by this agent, or one that stopped: then it failed). */
  state: "pending" | "creating";
  /** Have the guest sysprep itself (meta-data/sysprep-for-backup) and power off first. */
  generalize: boolean;
  storage_uri: string;
  object_key: string;
}

/**
 * A move of the instance to another host under way, as this host sees it:
 * each of its two hosts has the instance in its state meanwhile. The
 * destination makes its files, listens on its management address for the
 * move's channel and says where (ready); the source then copies the disks
 * and the guest there (copying) and, live, asks dcmgr to hand it over
 * (switching); the destination runs it and says so (done).
 */
export interface WantedMove {
  move_id: string;
  kind: MoveKind;
  role: MoveRole;
  state: "preparing" | "ready" | "copying" | "switching";
  /** The channel's one-time secret: the source sends it, the destination takes nothing else. */
  token: string;
  /** Where the destination listens, once it is ready: the source's to reach. */
  destination: { address: string; port: number } | null;
}

/** A browser console waiting for the agent to connect the VM's VNC server to it, at the dcmgr it waits at (null: any). */
export interface ConsoleTunnelRequest {
  id: string;
  dcmgr: string | null;
}

export interface WantedInstance {
  id: string;
  /** What this view of the instance is: every report is made against it. */
  revision: number;
  state: InstanceState;
  requested_action: RequestedAction | null;
  cpu_cores: number;
  memory_size: number;
  /** Its spec's QEMU CPU model; null: the host's own setting. */
  cpu_model: string | null;
  os_type: OsType;
  hostname: string | null;
  ssh_public_key: string | null;
  user_data: string | null;
  /** A Windows instance's launch options, the product key whole: the agent writes them to the metadata drive. */
  windows_options: WindowsOptions | null;
  password_stored: boolean;
  error: string | null;
  /** A user waits for a console screenshot. */
  screenshot_requested: boolean;
  console_tunnels: ConsoleTunnelRequest[];
  image: WantedImage;
  backup: WantedBackup | null;
  move: WantedMove | null;
  vifs: WantedVif[];
  security_group_ids: string[];
  security_group_rules: SecurityGroupRule[];
}

/** A network of this host's interfaces, with what a bridged host needs of it. */
export interface HostNetwork {
  id: string;
  ipv4_network: string;
  prefix: number;
  ipv4_gw: string | null;
  dns_server: string | null;
  dhcp_server: string | null;
  uplink: string | null;
  nat: boolean;
}

/** A group that matters to this host's firewall: its rules, and its members' addresses on every host. */
export interface HostSecurityGroup {
  id: string;
  rules: SecurityGroupRule[];
  members: string[];
}

/** GET /state: everything the agent makes its host from, and the revision that names it. */
export interface HostState {
  revision: string;
  instances: WantedInstance[];
  networks: HostNetwork[];
  security_groups: HostSecurityGroup[];
}

/** POST /heartbeat: what the host can give a VM, once its agent knows (after its accelerator's probe). */
export const heartbeatShape = {
  capabilities: {
    field: capabilitiesField,
    desc: "what this host can give a VM: UEFI, Secure Boot, a TPM, KVM, its CPU model",
  },
} as const;

/** POST /heartbeat's answer. */
export interface HeartbeatAnswer {
  host_node_id: string;
  node_id: string;
}

/** What dcmgr answers to a report it took: the instance's revision after it. */
export interface Taken {
  revision: number;
}

/** GET /state's query. */
export const hostStateQuery = {
  since: {
    field: textField({ max: 64, pattern: /^[0-9a-f]+$/, patternWords: "hex digits" }),
    desc: "the revision the agent has: the answer waits until the host's state is another",
  },
  wait: { field: intField({ min: 0, max: 60 }), desc: "seconds to wait for a change (default 0: at once)" },
};

const portForwardsField: Field<PortForward[]> = {
  type: "json",
  allowed: "[{protocol, guest_port, host_address, host_port}]",
  parse(raw) {
    if (!Array.isArray(raw))
      throw new FieldError("must be a list of {protocol, guest_port, host_address, host_port}");
    return raw.map((f) => {
      const { protocol, guest_port, host_address, host_port } = (f ?? {}) as Record<string, unknown>;
      const port = (p: unknown) => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
      if (
        (protocol !== "tcp" && protocol !== "udp") ||
        !port(guest_port) ||
        !port(host_port) ||
        typeof host_address !== "string"
      ) {
        throw new FieldError(
          "each forward needs protocol tcp|udp, guest_port and host_port 1-65535, and host_address",
        );
      }
      return { protocol, guest_port, host_address, host_port } as PortForward;
    });
  },
};

/** The revision the agent read and acted on: a report from an outdated view is refused (409) and writes nothing. */
const revisionField = {
  field: intField({ min: 0 }),
  desc: "the instance's revision in the GET /state answer the agent acted on",
  required: true,
} as const;

/** PUT /instances/:id/state. */
export const stateReportShape = {
  revision: revisionField,
  state: { field: enumField(instanceStates), desc: "the state the instance is in", required: true },
  error: {
    field: textField({ max: 4096, lines: true }),
    desc: 'why it failed (sets status error); "" clears it',
  },
  /** The power action the agent has carried out, so that it is asked no more. */
  done_action: { field: enumField(requestedActions), desc: "the requested action now carried out" },
  port_forwards: { field: listField(portForwardsField, { max: 4 }), desc: "per vif, in device order" },
} as const;

/** PUT /instances/:id/password. */
export const passwordReportShape = {
  revision: revisionField,
  encrypted_password: {
    field: textField({
      max: 4096,
      pattern: /^[A-Za-z0-9+/=\s]+$/,
      patternWords: "base64 text",
      lines: true,
    }),
    desc: "the guest's pw.enc, base64",
    required: true,
  },
} as const;

/** PUT /backup_objects/:id: how a backup goes; `available` with what was written, `failed` with why (nothing is left in the storage). */
export const backupReportShape = {
  state: {
    field: enumField(["creating", "available", "failed"] as const),
    desc: "where the backup is",
    required: true,
  },
  progress: { field: intField({ min: 0, max: 100 }), desc: "percent done" },
  size: { field: intField({ min: 1 }), desc: "bytes of the disk image (available)" },
  allocation_size: { field: intField({ min: 1 }), desc: "bytes of the packed file (available)" },
  checksum: {
    field: textField({ max: 32, pattern: /^[0-9a-f]{32}$/, patternWords: "an md5 in hex" }),
    desc: "md5 of the packed file (available)",
  },
  error: { field: textField({ max: 4096, lines: true }), desc: "why it failed (failed)" },
  generalized: {
    field: flagField,
    desc: "the disk was generalized (its guest sysprep'd it): the image's kind, and its source's password forgotten",
  },
} as const;

export type BackupReport = ShapeInput<typeof backupReportShape>;

/** PUT /moves/:id: the destination listens (ready, where), the source copies (progress) then asks to hand the guest over (switching), the guest runs at the destination (done), or it failed (why). */
export const moveReportShape = {
  state: {
    field: enumField(["ready", "copying", "switching", "done", "failed"] as const),
    desc: "where the move is",
    required: true,
  },
  address: { field: ipv4Field, desc: "the destination's management address it listens on (ready)" },
  port: { field: intField({ min: 1, max: 65535 }), desc: "the port it listens on (ready)" },
  progress: { field: intField({ min: 0, max: 99 }), desc: "percent copied (copying)" },
  error: { field: textField({ max: 4096, lines: true }), desc: "why it failed (failed)" },
  port_forwards: {
    field: listField(portForwardsField, { max: 4 }),
    desc: "per vif, in device order: the destination's (done)",
  },
} as const;

/** What the agent says of an instance; the revision it was decided on goes beside it. */
export type StateReport = Omit<ShapeInput<typeof stateReportShape>, "revision">;
