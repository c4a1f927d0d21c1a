// Starting an instance's VM on the host side of its NICs, from the files
// `prepare` made: its disk, metadata drive, variable store and network plan.
import type { WantedInstance } from "../model/agent-contract.js";
import type { ActionTools } from "./actions.js";
import type { InstanceFiles } from "./instance-files.js";
import { instanceVm } from "./vm/instance-vm.js";

/** Starts the instance's VM on the host side of its NICs (paused for a move's destination: `incoming`); the plan it started with. */
export async function startVm(
  w: WantedInstance,
  files: InstanceFiles,
  tools: Pick<ActionTools, "network" | "vms" | "host">,
  incoming?: { nbdSocket: string; migrationSocket: string },
) {
  const plan = await files.readPlan();
  if (!plan) throw new Error(`its network plan is missing from ${files.dir}`);
  const disk = await files.readDisk();
  await files.powerdownAsked(null);
  // It boots: a disk generalized for a backup is no longer so once its first boot begins.
  await files.generalized(false);
  const sockets = await tools.network.attach(w, plan);
  await tools.vms.start(
    files,
    instanceVm(
      w,
      { disk, metadataDrive: files.metadataDrive, efiVars: files.efiVars },
      tools.network.nics(w, plan),
      tools.host,
    ),
    sockets,
    incoming,
  );
  await files.started(Date.now());
  return plan;
}
