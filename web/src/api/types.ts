// The API's records, as far as the pages read them (api.md).
import type { BackupState } from "../../../src/model/backup.js";
import type { InstanceState, InstanceStatus } from "../../../src/model/instance-state.js";
import type { MoveKind, MoveState } from "../../../src/model/move.js";

export interface PortForward {
  protocol: string;
  guest_port: number;
  host_address: string;
  host_port: number;
}

export interface Instance {
  id: string;
  state: InstanceState;
  status: InstanceStatus;
  error: string | null;
  host_node: string | null;
  image_id: string;
  instance_spec_name: string | null;
  cpu_cores: number;
  memory_size: number;
  hostname: string | null;
  display_name: string | null;
  os_type: string;
  created_at: string;
  updated_at: string;
  ssh_key_pair: { uuid: string; display_name: string | null } | null;
  password_ready: boolean;
  password_will_be_deleted_at: string | null;
  address: string | null;
  vif: { vif_id: string; security_groups: string[]; port_forwards: PortForward[] }[];
  /** Its newest backup (PUT /instances/:id/backup): under way, or how the last one ended; null: never backed up. */
  backup: InstanceBackup | null;
  /** Its newest move to another host (PUT /instances/:id/move): under way, or how it ended; null: never moved. */
  move: InstanceMove | null;
}

export interface InstanceMove {
  move_id: string;
  kind: MoveKind;
  state: MoveState;
  /** 0-100. */
  progress: number;
  error: string | null;
  destination_host_node_id: string;
}

export interface InstanceBackup {
  backup_object_id: string;
  image_id: string;
  state: BackupState;
  /** 0-100 while pending or creating. */
  progress: number | null;
  error: string | null;
}

export interface Image {
  id: string;
  backup_object_id: string;
  display_name: string;
  description: string | null;
  os_type: string;
  arch: string;
  file_format: string;
  features: Record<string, boolean>;
  is_public: boolean;
  is_cacheable: boolean;
  /** Sysprep'd: an instance of it goes through the first boot (a new password). Else it boots as its source was. */
  generalized: boolean;
  /** "creating" while a backup writes it, then "available" or "failed". */
  state: string;
  /** 0-100 while creating, else null. */
  progress: number | null;
  /** Why its backup failed, else null. */
  error: string | null;
  size: number | null;
  allocation_size: number | null;
}

export interface SshKeyPair {
  id: string;
  display_name: string | null;
  description: string | null;
  fingerprint: string;
  key_type: string;
  key_bits: number | null;
  public_key: string;
  created_at: string;
}

export interface SecurityGroup {
  id: string;
  display_name: string | null;
  description: string | null;
  rule: string;
  created_at: string;
}

export interface HostNode {
  id: string;
  node_id: string;
  display_name: string | null;
  offering_cpu_cores: number;
  offering_memory_size: number;
  used_cpu_cores: number;
  used_memory_size: number;
  hypervisor: string;
  arch: string;
  scheduling_enabled: boolean;
}

export interface InstanceSpec {
  name: string;
  cpu_cores: number;
  memory_size: number;
  hypervisor: string;
}

export interface StateChange {
  state: InstanceState;
  status: InstanceStatus;
  error: string | null;
  at: string;
}

/**
 * Where a remote desktop client reaches the instance: its forwarded 3389
 * (a forward on every host address is reached at the host the page came
 * from, `pageHost`), else its own address.
 */
export function rdpEndpoint(i: Instance, pageHost: string): { host: string; port: number } | null {
  const f = i.vif.flatMap((v) => v.port_forwards).find((p) => p.guest_port === 3389 && p.protocol === "tcp");
  if (f) return { host: f.host_address === "0.0.0.0" ? pageHost : f.host_address, port: f.host_port };
  return i.address ? { host: i.address, port: 3389 } : null;
}
