// The moves under way of a host's instances, and of those coming to it: each
// host has a moving instance in its state, with its own part in the move.
import type { WantedMove } from "../../model/agent-contract.js";
import { movesUnderWay } from "../../model/move.js";
import type { Db } from "./db.js";

export async function loadMoves(db: Db, hostNodeId: string) {
  const rows = await db
    .selectFrom("instance_moves")
    .selectAll()
    .where("state", "in", [...movesUnderWay])
    .where((eb) =>
      eb.or([eb("source_host_node_id", "=", hostNodeId), eb("destination_host_node_id", "=", hostNodeId)]),
    )
    .orderBy("id")
    .execute();
  const byInstance = new Map<string, WantedMove>();
  for (const r of rows)
    byInstance.set(r.instance_id, {
      move_id: r.id,
      kind: r.kind,
      role: r.destination_host_node_id === hostNodeId ? "destination" : "source",
      state: r.state as WantedMove["state"],
      token: r.token,
      destination:
        r.destination_address !== null && r.destination_port !== null
          ? { address: r.destination_address, port: r.destination_port }
          : null,
    });
  return {
    /** The instances coming to this host: in its state though placed on another until they arrive. */
    incoming: rows.filter((r) => r.destination_host_node_id === hostNodeId).map((r) => r.instance_id),
    of: (id: string): WantedMove | null => byInstance.get(id) ?? null,
  };
}
