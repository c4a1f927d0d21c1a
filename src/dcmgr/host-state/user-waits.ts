// What users wait for from the host's agent (0008-desks): console
// screenshots not yet delivered, and browser consoles waiting for their tunnel.
import type { ConsoleTunnelRequest } from "../../model/agent-contract.js";
import { byInstance, type Db } from "./db.js";

/** A console tunnel older than this has no page waiting on it any more (console-desk.ts waits 15 s). */
const tunnelLifeMs = 20_000;

export interface UserWaits {
  screenshotRequested(instanceId: string): boolean;
  tunnels(instanceId: string): ConsoleTunnelRequest[];
}

export async function loadUserWaits(db: Db, instanceIds: readonly string[]): Promise<UserWaits> {
  if (!instanceIds.length) return { screenshotRequested: () => false, tunnels: () => [] };
  const screenshots = await db
    .selectFrom("screenshot_requests")
    .select("instance_id")
    .distinct()
    .where("instance_id", "in", instanceIds)
    .where("png", "is", null)
    .execute();
  const tunnels = await db
    .selectFrom("console_tunnels")
    .select(["id", "instance_id", "dcmgr_url"])
    .where("instance_id", "in", instanceIds)
    .where("created_at", ">", new Date(Date.now() - tunnelLifeMs).toISOString())
    .orderBy("id")
    .execute();
  const waiting = new Set(screenshots.map((s) => s.instance_id));
  return {
    screenshotRequested: (id: string) => waiting.has(id),
    tunnels: byInstance(tunnels, (t): ConsoleTunnelRequest => ({ id: t.id, dcmgr: t.dcmgr_url })),
  };
}
