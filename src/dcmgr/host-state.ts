// A host's whole state as its agent reads it: every instance placed there,
// the networks their interfaces are on (and those with an uplink), the
// screenshots and consoles users wait for (0008-desks), and what the host's firewall needs
// (the instances' groups, their rules, and the current addresses of every
// member of those groups and of the groups the rules name, wherever those
// members run). Its revision is a digest of all of it, so a host's state
// changes revision exactly when something its agent acts on changes,
// whichever table that came from; the long-poll waits for it to differ.
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { prefixToNetmask } from "../model/ipv4.js";
import type { Database } from "../store/schema.js";

/** A console tunnel older than this has no page waiting on it any more (console-desk.ts waits 15 s). */
const tunnelLifeMs = 20_000;

export async function readHostState(db: Kysely<Database>, hostNodeId: string) {
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
      "instances.os_type",
      "instances.hostname",
      "instances.ssh_public_key",
      "instances.user_data",
      "instances.encrypted_password",
      "instances.error",
      "instances.revision",
      "images.id as image_id",
      "images.file_format",
      "images.features",
      "images.is_cacheable",
      "backup_objects.id as backup_object_id",
      "backup_objects.object_key",
      "backup_objects.container_format",
      "backup_objects.size",
      "backup_objects.allocation_size",
      "backup_objects.checksum",
      "backup_storages.base_uri",
    ])
    .where("instances.host_node_id", "=", hostNodeId)
    .where("instances.state", "!=", "terminated")
    .orderBy("instances.created_at")
    .orderBy("instances.id")
    .execute();
  const ids = rows.map((r) => r.id);
  const vifs = ids.length
    ? await db
        .selectFrom("instance_vifs")
        .innerJoin("networks", "networks.id", "instance_vifs.network_id")
        .leftJoin("network_leases", "network_leases.vif_id", "instance_vifs.id")
        .select([
          "instance_vifs.id",
          "instance_vifs.instance_id",
          "instance_vifs.network_id",
          "instance_vifs.device_index",
          "instance_vifs.mac_address",
          "network_leases.ipv4_address",
          "networks.prefix",
          "networks.ipv4_gw",
          "networks.dns_server",
        ])
        .where("instance_vifs.instance_id", "in", ids)
        .orderBy("instance_vifs.instance_id")
        .orderBy("instance_vifs.device_index")
        .execute()
    : [];
  const memberships = ids.length
    ? await db
        .selectFrom("instance_security_groups")
        .select(["instance_id", "security_group_id"])
        .where("instance_id", "in", ids)
        .orderBy("instance_id")
        .orderBy("security_group_id")
        .execute()
    : [];
  const screenshots = ids.length
    ? await db
        .selectFrom("screenshot_requests")
        .select("instance_id")
        .distinct()
        .where("instance_id", "in", ids)
        .where("png", "is", null)
        .execute()
    : [];
  const tunnels = ids.length
    ? await db
        .selectFrom("console_tunnels")
        .select(["id", "instance_id", "dcmgr_url"])
        .where("instance_id", "in", ids)
        .where("created_at", ">", new Date(Date.now() - tunnelLifeMs).toISOString())
        .orderBy("id")
        .execute()
    : [];
  const ownGroups = [...new Set(memberships.map((m) => m.security_group_id))].sort();
  const rules = ownGroups.length
    ? await db
        .selectFrom("security_group_rules")
        .select(["security_group_id", "protocol", "from_port", "to_port", "source_cidr", "source_group_id"])
        .where("security_group_id", "in", ownGroups)
        .orderBy("security_group_id")
        .orderBy("line")
        .execute()
    : [];
  const groupIds = [
    ...new Set([...ownGroups, ...rules.flatMap((r) => (r.source_group_id ? [r.source_group_id] : []))]),
  ].sort();
  const members = groupIds.length
    ? await db
        .selectFrom("instance_security_groups")
        .innerJoin("instances", "instances.id", "instance_security_groups.instance_id")
        .innerJoin("instance_vifs", "instance_vifs.instance_id", "instances.id")
        .innerJoin("network_leases", "network_leases.vif_id", "instance_vifs.id")
        .select(["instance_security_groups.security_group_id", "network_leases.ipv4_address"])
        .where("instance_security_groups.security_group_id", "in", groupIds)
        .where("instances.state", "!=", "terminated")
        .orderBy("network_leases.ipv4_address")
        .execute()
    : [];
  // A network with an uplink is a segment every bridged host joins (its gateway host may run none of its instances).
  const networkIds = [...new Set(vifs.map((v) => v.network_id))];
  const networks = await db
    .selectFrom("networks")
    .select(["id", "ipv4_network", "prefix", "ipv4_gw", "dns_server", "dhcp_server", "uplink", "nat"])
    .where((eb) =>
      eb.or([eb("uplink", "is not", null), ...(networkIds.length ? [eb("id", "in", networkIds)] : [])]),
    )
    .orderBy("id")
    .execute();

  const instances = rows.map((r) => ({
    id: r.id,
    revision: r.revision,
    state: r.state,
    requested_action: r.requested_action,
    cpu_cores: r.cpu_cores,
    memory_size: r.memory_size,
    os_type: r.os_type,
    hostname: r.hostname,
    ssh_public_key: r.ssh_public_key,
    user_data: r.user_data,
    password_stored: r.encrypted_password !== null,
    error: r.error,
    screenshot_requested: screenshots.some((x) => x.instance_id === r.id),
    console_tunnels: tunnels
      .filter((t) => t.instance_id === r.id)
      .map((t) => ({ id: t.id, dcmgr: t.dcmgr_url })),
    image: {
      id: r.image_id,
      file_format: r.file_format,
      features: JSON.parse(r.features) as Record<string, boolean>,
      is_cacheable: r.is_cacheable === 1,
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
    vifs: vifs
      .filter((v) => v.instance_id === r.id)
      .map((v) => ({
        id: v.id,
        index: v.device_index,
        network_id: v.network_id,
        mac_address: v.mac_address,
        ipv4_address: v.ipv4_address,
        netmask: prefixToNetmask(v.prefix),
        gateway: v.ipv4_gw,
        dns: v.dns_server,
      })),
    security_group_ids: memberships.filter((m) => m.instance_id === r.id).map((m) => m.security_group_id),
    security_group_rules: rules
      .filter((x) =>
        memberships.some((m) => m.instance_id === r.id && m.security_group_id === x.security_group_id),
      )
      .map(({ security_group_id: _g, ...rule }) => rule),
  }));
  const state = {
    instances,
    networks: networks.map((n) => ({ ...n, nat: n.nat === 1 })),
    security_groups: groupIds.map((id) => ({
      id,
      rules: rules
        .filter((r) => r.security_group_id === id)
        .map(({ security_group_id: _g, ...rule }) => rule),
      members: [...new Set(members.filter((m) => m.security_group_id === id).map((m) => m.ipv4_address))],
    })),
  };
  const revision = createHash("sha256").update(JSON.stringify(state)).digest("hex").slice(0, 20);
  return { revision, ...state };
}

export type HostState = Awaited<ReturnType<typeof readHostState>>;
