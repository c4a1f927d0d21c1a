// Doing what reconcile.ts decided for one instance, and reporting it: every
// report names the revision it was decided on (dcmgr refuses it when the
// instance has changed since), and a report dcmgr takes moves the agent's
// view of the instance to the revision it made.
import type { StateReport, WantedInstance } from "../model/agent-contract.js";
import { unreachable } from "../model/instance-state.js";
import type { AgentApi } from "./agent-api.js";
import { failBackup, runBackup } from "./backup/run-backup.js";
import { generalized, startSysprep } from "./backup/sysprep.js";
import { collectPassword } from "./first-boot.js";
import type { ImageCache } from "./image-cache.js";
import type { InstanceFiles } from "./instance-files.js";
import { type Moves, movingDisks } from "./move/run-move.js";
import type { InstanceNetwork } from "./network/instance-network.js";
import { prepareInstance } from "./prepare.js";
import type { Action } from "./reconcile.js";
import { startVm } from "./start-vm.js";
import type { VmDriver } from "./vm/driver.js";
import type { HostHardware } from "./vm/host-hardware.js";

export interface ActionTools {
  api: AgentApi;
  /** What this host gives every VM: its default CPU model, its UEFI firmware. */
  host: HostHardware;
  vms: VmDriver;
  network: InstanceNetwork;
  cache: ImageCache;
  /** Hosts entries for every instance's metadata drive. */
  extraHosts: Readonly<Record<string, string>>;
  /** The moves this agent carries (move/run-move.ts). */
  moves: Moves;
}

/** Reports what `view` has become; the view follows: the revision dcmgr made, the state reported. */
export async function report(api: AgentApi, view: WantedInstance, what: StateReport): Promise<void> {
  view.revision = (await api.report(view.id, view.revision, what)).revision;
  view.state = what.state;
}

export async function carryOut(
  a: Exclude<Action, { kind: "wait" }>,
  w: WantedInstance,
  files: InstanceFiles,
  tools: ActionTools,
): Promise<void> {
  const { api, vms } = tools;
  switch (a.kind) {
    case "prepare":
      return prepareInstance(files, w, tools);
    case "start": {
      const plan = await startVm(w, files, tools);
      return report(api, w, {
        state: a.report,
        error: await files.passwordError(),
        done_action: a.done,
        port_forwards: plan.vifs.map((v) => v.port_forwards),
      });
    }
    case "collect-password": {
      const collected = await collectPassword(files.metadataDrive, w.ssh_public_key ?? "");
      if ("encryptedPassword" in collected)
        w.revision = (await api.storePassword(w.id, w.revision, collected.encryptedPassword)).revision;
      else await files.writePasswordError(collected.error);
      return files.firstBootPending(false);
    }
    case "powerdown":
      await vms.powerdown(files);
      return files.powerdownAsked(Date.now());
    case "reset":
      await vms.reset(files);
      return report(api, w, { state: "running", done_action: a.done });
    case "force-stop":
      await vms.kill(files);
      return report(api, w, { state: "halted", error: a.error, done_action: a.done });
    case "destroy":
      await removeInstance(files, tools);
      return report(api, w, { state: "terminated" });
    case "report":
      await files.powerdownAsked(null);
      return report(api, w, { state: a.state, error: a.error, done_action: a.done });
    case "start-sysprep":
      return startSysprep(w, files, tools);
    case "generalized":
      return generalized(files);
    case "backup":
      return runBackup(w, files, tools);
    case "fail-backup":
      return failBackup(w, files, tools, a.error);
    case "receive-move":
      return tools.moves.receive(w, files, tools);
    case "send-move":
      return tools.moves.send(w, files, tools);
    case "fail-move":
      if (w.move!.role === "destination") await removeInstance(files, tools);
      return void (await api.reportMove(w.move!.move_id, { state: "failed", error: a.error }));
    case "abandon-move":
      // Handed over meanwhile: the destination says how the move ends.
      if (await vms.abandonMove(files, movingDisks(w)))
        await api.reportMove(w.move!.move_id, {
          state: "failed",
          error: "the source's host agent stopped during the move: the guest runs on there",
        });
      return;
    case "take-back":
      return vms.takeBack(files);
    default:
      return unreachable(a);
  }
}

/** Ends the instance's VM, undoes the host side of its NICs (if it got as far as a plan), and deletes its files. */
export async function removeInstance(files: InstanceFiles, tools: Pick<ActionTools, "vms" | "network">) {
  await tools.vms.kill(files);
  const plan = await files.readPlan();
  if (plan) await tools.network.detach(plan);
  await files.remove();
}
