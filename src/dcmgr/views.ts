// API records of instances: the row plus its vifs, addresses, security groups
// and key pair, in the fields api.md lists (the original's, and ours).

import type { Kysely, Selectable } from "kysely";
import { movesUnderWay } from "../model/move.js";
import type { PortForward } from "../model/port-forward.js";
import { shownWindowsOptions, type WindowsOptions } from "../model/windows-options.js";
import type { Database, InstancesTable } from "../store/schema.js";

export async function instanceViews(db: Kysely<Database>, rows: readonly Selectable<InstancesTable>[]) {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const vifs = await db
    .selectFrom("instance_vifs")
    .leftJoin("network_leases", "network_leases.vif_id", "instance_vifs.id")
    .select([
      "instance_vifs.id",
      "instance_vifs.instance_id",
      "instance_vifs.network_id",
      "instance_vifs.device_index",
      "instance_vifs.mac_address",
      "instance_vifs.port_forwards",
      "network_leases.ipv4_address",
    ])
    .where("instance_vifs.instance_id", "in", ids)
    .orderBy("instance_vifs.device_index")
    .execute();
  const groups = await db
    .selectFrom("instance_security_groups")
    .select(["instance_id", "security_group_id"])
    .where("instance_id", "in", ids)
    .orderBy("security_group_id")
    .execute();
  // Each instance's newest backup: under way (with its progress), or how the last one ended.
  const backups = await db
    .selectFrom("backup_objects")
    .innerJoin("images", "images.backup_object_id", "backup_objects.id")
    .select([
      "backup_objects.id",
      "backup_objects.source_instance_id",
      "backup_objects.state",
      "backup_objects.progress",
      "backup_objects.error",
      "images.id as image_id",
    ])
    .where("backup_objects.source_instance_id", "in", ids)
    .orderBy("backup_objects.created_at", "desc")
    .orderBy("backup_objects.id", "desc")
    .execute();
  // Each instance's newest move: under way (with its progress), or how the last one ended.
  const moves = await db
    .selectFrom("instance_moves")
    .select(["id", "instance_id", "kind", "state", "progress", "error", "destination_host_node_id"])
    .where("instance_id", "in", ids)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  const keyIds = [...new Set(rows.map((r) => r.ssh_key_pair_id).filter((k): k is string => k !== null))];
  const keys = keyIds.length
    ? await db.selectFrom("ssh_key_pairs").select(["id", "display_name"]).where("id", "in", keyIds).execute()
    : [];

  return rows.map((r) => {
    const groupIds = groups.filter((g) => g.instance_id === r.id).map((g) => g.security_group_id);
    const vif = vifs
      .filter((v) => v.instance_id === r.id)
      .map((v) => ({
        vif_id: v.id,
        network_id: v.network_id,
        index: v.device_index,
        mac_address: v.mac_address,
        ipv4: { address: v.ipv4_address ?? null, nat_address: null },
        security_groups: groupIds,
        port_forwards: JSON.parse(v.port_forwards) as PortForward[],
      }));
    const key = r.ssh_key_pair_id;
    const backup = backups.find((b) => b.source_instance_id === r.id);
    const move = moves.find((m) => m.instance_id === r.id);
    return {
      id: r.id,
      account_id: r.account_id,
      host_node: r.host_node_id,
      instance_spec_name: r.instance_spec_name,
      cpu_cores: r.cpu_cores,
      memory_size: r.memory_size,
      arch: r.arch,
      image_id: r.image_id,
      created_at: r.created_at,
      updated_at: r.updated_at,
      terminated_at: r.terminated_at,
      deleted_at: r.deleted_at,
      state: r.state,
      // It runs on while it moves: its state stays, its status says so.
      status: move && (movesUnderWay as readonly string[]).includes(move.state) ? "moving" : r.status,
      ssh_key_pair: key
        ? { uuid: key, display_name: keys.find((k) => k.id === key)?.display_name ?? null }
        : null,
      volume: [],
      vif,
      hostname: r.hostname,
      ha_enabled: false,
      hypervisor: r.hypervisor,
      display_name: r.display_name,
      service_type: r.service_type,
      labels: [],
      os_type: r.os_type,
      // The product key travels only to the guest: answers and events show its last group.
      windows_options: r.windows_options
        ? shownWindowsOptions(JSON.parse(r.windows_options) as WindowsOptions)
        : null,
      password_ready: r.encrypted_password !== null,
      password_will_be_deleted_at: r.password_will_be_deleted_at,
      error: r.error,
      backup: backup
        ? {
            backup_object_id: backup.id,
            image_id: backup.image_id,
            state: backup.state,
            progress: backup.progress,
            error: backup.error,
          }
        : null,
      move: move
        ? {
            move_id: move.id,
            kind: move.kind,
            state: move.state,
            progress: move.progress,
            error: move.error,
            destination_host_node_id: move.destination_host_node_id,
          }
        : null,
      address: vif[0]?.ipv4.address ?? null,
    };
  });
}

/**
 * An answer as the YAML form shows it. An instance's top-level `address` is
 * left out there: the shell client reads the address with
 * `egrep -w ":address:" | awk`, and the vif's `:address:` line already gives it,
 * as the original's answers did; a second line would make it print two.
 */
export function forYaml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(forYaml);
  if (typeof value === "object" && value !== null) {
    const hash = value as Record<string, unknown>;
    const isInstance = "vif" in hash && "address" in hash;
    return Object.fromEntries(
      Object.entries(hash)
        .filter(([k]) => !(isInstance && k === "address"))
        .map(([k, v]) => [k, forYaml(v)]),
    );
  }
  return value;
}
