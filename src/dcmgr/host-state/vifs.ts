// The instances' network interfaces, with their leases and their networks' settings.
import type { WantedVif } from "../../model/agent-contract.js";
import { prefixToNetmask } from "../../model/ipv4.js";
import { byInstance, type Db } from "./db.js";

export async function loadVifs(db: Db, instanceIds: readonly string[]) {
  const rows = instanceIds.length
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
        .where("instance_vifs.instance_id", "in", instanceIds)
        .orderBy("instance_vifs.instance_id")
        .orderBy("instance_vifs.device_index")
        .execute()
    : [];
  return {
    networkIds: [...new Set(rows.map((v) => v.network_id))],
    of: byInstance(
      rows,
      (v): WantedVif => ({
        id: v.id,
        index: v.device_index,
        network_id: v.network_id,
        mac_address: v.mac_address,
        ipv4_address: v.ipv4_address,
        netmask: prefixToNetmask(v.prefix),
        gateway: v.ipv4_gw,
        dns: v.dns_server,
      }),
    ),
  };
}
