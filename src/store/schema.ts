import type { Generated } from "kysely";
import type { BackupState } from "../model/backup.js";
import type { InstanceState, InstanceStatus, RequestedAction } from "../model/instance-state.js";
import type { ContainerFormat, FileFormat, OsType } from "../model/vocabulary.js";

// The tables of the store, as the query layer sees them. Booleans are stored
// as 0/1 and timestamps as ISO-8601 text so that SQLite and PostgreSQL hold
// the same values; JSON columns are text.

export interface AccountsTable {
  id: string;
  display_name: string;
  created_at: string;
  updated_at: string;
}

/** Host agents that have reported in; `host add` without --force wants the node here. */
export interface NodeStatesTable {
  node_id: string;
  state: string;
  last_seen_at: string;
}

export interface HostNodesTable {
  id: string;
  node_id: string;
  display_name: string | null;
  offering_cpu_cores: number;
  offering_memory_size: number;
  offering_disk_space_mb: number;
  hypervisor: string;
  arch: string;
  scheduling_enabled: number;
  /** What its live instances hold; kept by the transactions that place and terminate them. */
  used_cpu_cores: Generated<number>;
  used_memory_size: Generated<number>;
  /** JSON (model/host-capabilities.ts), as its agent last reported; null before it has. */
  capabilities: string | null;
  created_at: string;
  updated_at: string;
}

export interface BackupStoragesTable {
  id: string;
  display_name: string | null;
  node_id: string | null;
  base_uri: string;
  storage_type: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface BackupObjectsTable {
  id: string;
  account_id: string;
  backup_storage_id: string;
  display_name: string | null;
  object_key: string;
  size: number;
  allocation_size: number;
  checksum: string;
  container_format: ContainerFormat;
  description: string | null;
  service_type: string;
  state: BackupState;
  /** The instance this object is a backup of (PUT /instances/:id/backup); null for registered ones. */
  source_instance_id: string | null;
  /** How far its making is, 0-100, while pending or creating. */
  progress: number | null;
  /** Why its making failed. */
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImagesTable {
  id: string;
  account_id: string;
  backup_object_id: string;
  boot_dev_type: string;
  arch: string;
  description: string | null;
  file_format: FileFormat;
  root_device: string | null;
  service_type: string;
  display_name: string;
  is_public: number;
  is_cacheable: number;
  os_type: OsType;
  /** JSON object, e.g. {"virtio":true}. */
  features: string;
  /** 1: sysprep'd, a launch goes through the first boot; 0: a backup as it was, password and all. */
  generalized: Generated<number>;
  state: string;
  created_at: string;
  updated_at: string;
}

export interface InstanceSpecsTable {
  name: string;
  hypervisor: string;
  arch: string;
  cpu_cores: number;
  memory_size: number;
  /** A QEMU CPU model; null: the host's (hva.conf cpu-model). */
  cpu_model: string | null;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface SshKeyPairsTable {
  id: string;
  account_id: string;
  display_name: string | null;
  description: string | null;
  public_key: string;
  fingerprint: string;
  key_type: string;
  key_bits: number | null;
  created_at: string;
  updated_at: string;
}

export interface SecurityGroupsTable {
  id: string;
  account_id: string;
  display_name: string | null;
  description: string | null;
  service_type: string;
  /** The rule text as the user wrote it; parsed rules are in security_group_rules. */
  rule: string;
  created_at: string;
  updated_at: string;
}

export interface SecurityGroupRulesTable {
  security_group_id: string;
  line: number;
  protocol: string;
  from_port: number;
  to_port: number;
  source_cidr: string | null;
  source_group_id: string | null;
}

export interface NetworksTable {
  id: string;
  account_id: string;
  display_name: string | null;
  ipv4_network: string;
  prefix: number;
  ipv4_gw: string | null;
  dns_server: string | null;
  range_begin: string;
  range_end: string;
  network_mode: string;
  service_type: string;
  description: string | null;
  /** How bridged hosts share the segment: null (each host alone), "interface", "vlan:ID", "vxlan:VNI". */
  uplink: string | null;
  /** The address each bridged host's DHCP server answers from, outside the lease range; null: no DHCP. */
  dhcp_server: string | null;
  /** 1: the gateway host masquerades the network out. */
  nat: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface InstancesTable {
  id: string;
  account_id: string;
  host_node_id: string | null;
  image_id: string;
  instance_spec_name: string | null;
  cpu_cores: number;
  memory_size: number;
  /** Its spec's CPU model at launch; null: the host's. */
  cpu_model: string | null;
  /** WindowsOptions as JSON (Windows instances); null otherwise. */
  windows_options: string | null;
  hypervisor: string;
  arch: string;
  os_type: OsType;
  state: InstanceState;
  status: InstanceStatus;
  error: string | null;
  hostname: string | null;
  display_name: string | null;
  service_type: string;
  ssh_key_pair_id: string | null;
  /** A copy of the key at launch: the metadata drive needs it even if the key pair is deleted. */
  ssh_public_key: string | null;
  user_data: string | null;
  encrypted_password: string | null;
  password_will_be_deleted_at: string | null;
  created_at: string;
  updated_at: string;
  terminated_at: string | null;
  deleted_at: string | null;
  /** A power action the user asked for and the host agent has not yet carried out. */
  requested_action: RequestedAction | null;
  /** Bumped with every change of its desired or reported state; agents report against it. */
  revision: Generated<number>;
}

export interface InstanceSecurityGroupsTable {
  instance_id: string;
  security_group_id: string;
}

export interface InstanceVifsTable {
  id: string;
  instance_id: string;
  network_id: string;
  device_index: number;
  mac_address: string;
  /** JSON array of {protocol, guest_port, host_address, host_port}. */
  port_forwards: string;
}

export interface NetworkLeasesTable {
  network_id: string;
  ipv4_address: string;
  ipv4_number: number;
  vif_id: string | null;
  created_at: string;
}

/** Bearer tokens, stored as their SHA-256: `account` tokens for users, `host_node` tokens for agents. */
export interface ApiTokensTable {
  token_hash: string;
  kind: string;
  subject_id: string;
  description: string | null;
  created_at: string;
}

/** One change of an instance (its revision bumped, or its password stored or forgotten): the live feed and the state history. */
export interface InstanceEventsTable {
  id: Generated<number>;
  account_id: string;
  instance_id: string;
  revision: number;
  state: string;
  status: string;
  error: string | null;
  at: string;
}

/** A user waiting for a console screenshot (0008-desks); `png` (base64) once the agent delivered it. */
export interface ScreenshotRequestsTable {
  id: string;
  instance_id: string;
  requested_at: string;
  png: string | null;
}

/** A one-time console ticket, by the SHA-256 of its text. */
export interface ConsoleTicketsTable {
  ticket_hash: string;
  instance_id: string;
  expires_at: string;
}

/** A browser console waiting for its agent, and the dcmgr (agent URL) holding its socket. */
export interface ConsoleTunnelsTable {
  id: string;
  instance_id: string;
  dcmgr_url: string | null;
  created_at: string;
}

/** A move of an instance to another host (0014-moves; model/move.ts). */
export interface InstanceMovesTable {
  id: string;
  instance_id: string;
  account_id: string;
  kind: "live" | "cold";
  /** preparing (the destination makes its files and listener), ready (it listens), copying, switching (a live move's hand-over, granted), done or failed. */
  state: "preparing" | "ready" | "copying" | "switching" | "done" | "failed";
  source_host_node_id: string;
  destination_host_node_id: string;
  /** The one-time secret of the move's channel between the two agents. */
  token: string;
  /** Where the destination's agent listens for this move, once it is ready. */
  destination_address: string | null;
  destination_port: number | null;
  progress: Generated<number>;
  error: string | null;
  /** The evacuation of its source host it is part of, if any. */
  evacuation_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface HostEvacuationsTable {
  id: string;
  host_node_id: string;
  /** How many of its moves may be under way at once. */
  parallel: number;
  /** running, then done (the host holds no instance) or incomplete (see left). */
  state: "running" | "done" | "incomplete";
  /** JSON: the instances it did not move, each {instance_id, reason}. */
  left: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface Database {
  accounts: AccountsTable;
  node_states: NodeStatesTable;
  host_nodes: HostNodesTable;
  backup_storages: BackupStoragesTable;
  backup_objects: BackupObjectsTable;
  images: ImagesTable;
  instance_specs: InstanceSpecsTable;
  ssh_key_pairs: SshKeyPairsTable;
  security_groups: SecurityGroupsTable;
  security_group_rules: SecurityGroupRulesTable;
  networks: NetworksTable;
  instances: InstancesTable;
  host_evacuations: HostEvacuationsTable;
  instance_moves: InstanceMovesTable;
  instance_security_groups: InstanceSecurityGroupsTable;
  instance_vifs: InstanceVifsTable;
  network_leases: NetworkLeasesTable;
  api_tokens: ApiTokensTable;
  instance_events: InstanceEventsTable;
  screenshot_requests: ScreenshotRequestsTable;
  console_tickets: ConsoleTicketsTable;
  console_tunnels: ConsoleTunnelsTable;
}

export type TableName = keyof Database;

/** Every table, parents before children: the order to fill, and (reversed) to empty. */
export const tableNames: readonly TableName[] = [
  "accounts",
  "node_states",
  "host_nodes",
  "backup_storages",
  "backup_objects",
  "images",
  "instance_specs",
  "ssh_key_pairs",
  "security_groups",
  "security_group_rules",
  "networks",
  "instances",
  "host_evacuations",
  "instance_moves",
  "instance_security_groups",
  "instance_vifs",
  "network_leases",
  "api_tokens",
  "instance_events",
  "screenshot_requests",
  "console_tickets",
  "console_tunnels",
];

/** The tables whose rows are named by a resource uuid in their `id` column. */
export type UuidTable =
  | "accounts"
  | "host_nodes"
  | "backup_storages"
  | "backup_objects"
  | "images"
  | "networks"
  | "ssh_key_pairs"
  | "security_groups"
  | "instances"
  | "instance_moves"
  | "host_evacuations"
  | "instance_vifs";
