// What a bridged host needs to know of a network: how hosts share its segment
// (its uplink), the address each host's DHCP server answers from, and whether
// its gateway masquerades it out. Networks of user-mode hosts ignore them.
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  // null: the network is each host's alone; "interface", "vlan:ID" or "vxlan:VNI" on the host's uplink device.
  await db.schema.alterTable("networks").addColumn("uplink", "text").execute();
  await db.schema.alterTable("networks").addColumn("dhcp_server", "text").execute();
  await db.schema
    .alterTable("networks")
    .addColumn("nat", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
