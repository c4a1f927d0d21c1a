// The networks a host's agent wires: those its instances' interfaces are on,
// and every network with an uplink, a segment each bridged host joins (its
// gateway host may run none of its instances).
import type { HostNetwork } from "../../model/agent-contract.js";
import type { Db } from "./db.js";

export async function loadNetworks(db: Db, networkIds: readonly string[]): Promise<HostNetwork[]> {
  const rows = await db
    .selectFrom("networks")
    .select(["id", "ipv4_network", "prefix", "ipv4_gw", "dns_server", "dhcp_server", "uplink", "nat"])
    .where((eb) =>
      eb.or([eb("uplink", "is not", null), ...(networkIds.length ? [eb("id", "in", networkIds)] : [])]),
    )
    .orderBy("id")
    .execute();
  return rows.map((n) => ({ ...n, nat: n.nat === 1 }));
}
