// The instances placed on a host (and those moving to it), with the image
// and backup object each boots from: a host's state without what other
// tables add to them.

import type { WantedInstance } from "../../model/agent-contract.js";
import type { WindowsOptions } from "../../model/windows-options.js";
import type { Db } from "./db.js";

/** What the instance rows alone say; the other loaders add the rest. */
export type PlacedInstance = Omit<
  WantedInstance,
  | "backup"
  | "move"
  | "vifs"
  | "security_group_ids"
  | "security_group_rules"
  | "screenshot_requested"
  | "console_tunnels"
>;

export async function loadInstances(
  db: Db,
  hostNodeId: string,
  incoming: readonly string[],
): Promise<PlacedInstance[]> {
  const rows = await db
    .selectFrom("instances")
    .innerJoin("images", "images.id", "instances.image_id")
    .innerJoin("backup_objects", "backup_objects.id", "images.backup_object_id")
    .innerJoin("backup_storages", "backup_storages.id", "backup_objects.backup_storage_id")
    .select([
      "instances.id",
      "instances.state",
      "instances.requested_action",
      "instances.cpu_cores",
      "instances.memory_size",
      "instances.cpu_model",
      "instances.os_type",
      "instances.hostname",
      "instances.ssh_public_key",
      "instances.user_data",
      "instances.encrypted_password",
      "instances.error",
      "instances.revision",
      "instances.windows_options",
      "images.id as image_id",
      "images.file_format",
      "images.features",
      "images.is_cacheable",
      "images.generalized",
      "backup_objects.id as backup_object_id",
      "backup_objects.object_key",
      "backup_objects.container_format",
      "backup_objects.size",
      "backup_objects.allocation_size",
      "backup_objects.checksum",
      "backup_storages.base_uri",
    ])
    .where((eb) =>
      incoming.length
        ? eb.or([eb("instances.host_node_id", "=", hostNodeId), eb("instances.id", "in", [...incoming])])
        : eb("instances.host_node_id", "=", hostNodeId),
    )
    .where("instances.state", "!=", "terminated")
    .orderBy("instances.created_at")
    .orderBy("instances.id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    revision: r.revision,
    state: r.state,
    requested_action: r.requested_action,
    cpu_cores: r.cpu_cores,
    memory_size: r.memory_size,
    cpu_model: r.cpu_model,
    os_type: r.os_type,
    hostname: r.hostname,
    ssh_public_key: r.ssh_public_key,
    user_data: r.user_data,
    password_stored: r.encrypted_password !== null,
    error: r.error,
    windows_options: r.windows_options ? (JSON.parse(r.windows_options) as WindowsOptions) : null,
    image: {
      id: r.image_id,
      file_format: r.file_format,
      features: JSON.parse(r.features) as Record<string, boolean>,
      is_cacheable: r.is_cacheable === 1,
      generalized: r.generalized === 1,
      backup_object: {
        id: r.backup_object_id,
        storage_uri: r.base_uri,
        object_key: r.object_key,
        container_format: r.container_format,
        size: r.size,
        allocation_size: r.allocation_size,
        checksum: r.checksum,
      },
    },
  }));
}
