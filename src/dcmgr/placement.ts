// Placing an instance's size on a host inside the transaction that records
// it: the hosts read (locked on PostgreSQL, so concurrent placements go one
// after another), the choice (model/placement.ts), and the chosen host's
// usage taken; and that usage given back.
import { type Kysely, PostgresAdapter, type Transaction } from "kysely";
import { chooseHost, type PlacementNeed } from "../model/placement.js";
import { hostCapabilities } from "../store/records.js";
import type { Database } from "../store/schema.js";
import { errors } from "./errors.js";

/** Whether placements in `db` lock the hosts' rows (PostgreSQL's concurrent transactions; SQLite writes one at a time). */
export function locksRows(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The host chosen for `need` (never `exclude`: a moving instance's own), its usage taken. */
export async function place(
  db: Transaction<Database>,
  lockRows: boolean,
  need: PlacementNeed,
  exclude: string | null = null,
): Promise<string> {
  let hostsQuery = db.selectFrom("host_nodes").selectAll().orderBy("id");
  if (lockRows) hostsQuery = hostsQuery.forUpdate();
  const hosts = (await hostsQuery.execute()).filter((h) => h.id !== exclude);
  if (need.host_node_id && !hosts.some((h) => h.id === need.host_node_id)) {
    throw errors.unknownHostNode(`host_node_id: ${need.host_node_id} does not exist`, "host_node_id");
  }
  const choice = chooseHost(
    hosts.map((h) => ({
      id: h.id,
      hypervisor: h.hypervisor,
      arch: h.arch,
      scheduling_enabled: h.scheduling_enabled === 1,
      offering_cpu_cores: h.offering_cpu_cores,
      offering_memory_size: h.offering_memory_size,
      used_cpu_cores: h.used_cpu_cores,
      used_memory_size: h.used_memory_size,
      capabilities: hostCapabilities(h.capabilities),
    })),
    need,
  );
  if ("reason" in choice)
    throw errors.outOfHostCapacity(
      exclude ? `besides ${exclude}, where it is, ${choice.reason}` : choice.reason,
    );
  await db
    .updateTable("host_nodes")
    .set((eb) => ({
      used_cpu_cores: eb("used_cpu_cores", "+", need.cpu_cores),
      used_memory_size: eb("used_memory_size", "+", need.memory_size),
    }))
    .where("id", "=", choice.host.id)
    .execute();
  return choice.host.id;
}

/** Gives back to `hostId` what an instance of this size held there. */
export async function releaseHostUsage(
  db: Kysely<Database>,
  hostId: string,
  size: { cpu_cores: number; memory_size: number },
): Promise<void> {
  await db
    .updateTable("host_nodes")
    .set((eb) => ({
      used_cpu_cores: eb("used_cpu_cores", "-", size.cpu_cores),
      used_memory_size: eb("used_memory_size", "-", size.memory_size),
    }))
    .where("id", "=", hostId)
    .execute();
}
