// A host's whole state as its agent reads it (GET /state): every instance
// placed there (and those moving to it), the networks their interfaces are on (and those with an
// uplink), the screenshots and consoles users wait for, and what the host's
// firewall needs. Its revision is a digest of all of it, so a host's state
// changes revision exactly when something its agent acts on changes,
// whichever table that came from; the long-poll waits for it to differ.
// Every table a loader reads must wake the long-poll when written
// (store/wakeups.ts hostStateTables; test/dcmgr/host-state.test.ts checks).
import { createHash } from "node:crypto";
import type { HostState } from "../../model/agent-contract.js";
import { loadBackups } from "./backups.js";
import type { Db } from "./db.js";
import { loadInstances } from "./instances.js";
import { loadMoves } from "./moves.js";
import { loadNetworks } from "./networks.js";
import { loadSecurityGroups } from "./security-groups.js";
import { loadUserWaits } from "./user-waits.js";
import { loadVifs } from "./vifs.js";

export async function readHostState(db: Db, hostNodeId: string): Promise<HostState> {
  const moves = await loadMoves(db, hostNodeId);
  const placed = await loadInstances(db, hostNodeId, moves.incoming);
  const ids = placed.map((i) => i.id);
  const backups = await loadBackups(db, ids);
  const vifs = await loadVifs(db, ids);
  const groups = await loadSecurityGroups(db, ids);
  const waits = await loadUserWaits(db, ids);
  const networks = await loadNetworks(db, vifs.networkIds);
  const state: Omit<HostState, "revision"> = {
    // Keys in one order, release after release: the revision is a digest of this text.
    instances: placed.map(({ image, ...own }) => ({
      ...own,
      screenshot_requested: waits.screenshotRequested(own.id),
      console_tunnels: waits.tunnels(own.id),
      image,
      backup: backups(own.id),
      move: moves.of(own.id),
      vifs: vifs.of(own.id),
      security_group_ids: groups.groupsOf(own.id),
      security_group_rules: groups.rulesOf(own.id),
    })),
    networks,
    security_groups: groups.groups,
  };
  const revision = createHash("sha256").update(JSON.stringify(state)).digest("hex").slice(0, 20);
  return { revision, ...state };
}
