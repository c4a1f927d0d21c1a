// /instances: launch, list, show, power, terminate, and the encrypted initial password.
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import {
  enumField,
  type Field,
  FieldError,
  flagField,
  intField,
  listField,
  textField,
  uuidField,
} from "../../model/fields.js";
import {
  actionAllowedFrom,
  type InstanceState,
  instanceStates,
  instanceStatus,
  noConsoleReason,
  type RequestedAction,
} from "../../model/instance-state.js";
import { hostnameField } from "../../model/launch-rules.js";
import { hypervisors, serviceTypes } from "../../model/vocabulary.js";
import {
  kmsHostField,
  passwordRetriesField,
  productKeyField,
  type WindowsOptions,
} from "../../model/windows-options.js";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { abandonBackups, backupUnderWay } from "../backup.js";
import { pageOf, pageShape } from "../collections.js";
import { errors } from "../errors.js";
import { changeInstance } from "../instance-change.js";
import { recordInstanceEvents } from "../instance-events.js";
import { launch, releaseResources, type VifRequest } from "../launch.js";
import { abandonMove, moveUnderWay } from "../move.js";
import { forgetExpiredPasswords, forgetPasswords } from "../passwords.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import type { ScreenshotDesk } from "../screenshots.js";
import { instanceViews } from "../views.js";
import { idParams, now, owned, ownedInstance } from "./common.js";

/** Its host agent reported a new state between this request's read and its write (PostgreSQL only: SQLite serialises them). */
const changedMeanwhile = (id: string) =>
  errors.invalidInstanceState(
    `${id} changed state while this request was handled: look at it again and retry`,
  );

/**
 * Power actions wait for a backup or a move under way: it owns the instance's
 * disk and VM until it ends (terminate ends it).
 */
async function refuseWhileBusy(db: Kysely<Database>, id: string, action: string): Promise<void> {
  const underWay = await backupUnderWay(db, id);
  if (underWay)
    throw errors.invalidInstanceState(
      `${id} is being backed up (${underWay}): ${action} waits until its image is available or failed`,
    );
  const moving = await moveUnderWay(db, id);
  if (moving)
    throw errors.invalidInstanceState(
      `${id} is moving to ${moving.destination_host_node_id} (${moving.id}): ${action} waits until it has arrived or the move failed`,
    );
}

/** Why an instance of this image makes no password: it was backed up without generalizing; null when it does. */
async function keptPassword(db: Kysely<Database>, imageId: string): Promise<string | null> {
  const image = await db
    .selectFrom("images")
    .innerJoin("backup_objects", "backup_objects.id", "images.backup_object_id")
    .select(["images.generalized", "backup_objects.source_instance_id"])
    .where("images.id", "=", imageId)
    .executeTakeFirst();
  if (!image || image.generalized === 1) return null;
  return `its image ${imageId} was backed up without generalizing, so it has no first boot: its Administrator password is the one ${image.source_instance_id ?? "its source"} had`;
}

/** `vifs` as the original took it: JSON text (or an object), `{"eth0": {"network": "nw-...", "security_groups": [...]}}`. */
const vifsField: Field<VifRequest[]> = {
  type: "json",
  allowed: '{"eth0": {"network": "nw-...", "security_groups": ["sg-..."]}}',
  parse(raw) {
    let value: unknown = raw;
    if (typeof raw === "string") {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new FieldError(`is not JSON: write {"eth0": {"network": "nw-demo1"}}`);
      }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new FieldError(`must be an object of interfaces: {"eth0": {"network": "nw-demo1"}}`);
    }
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0 || entries.length > 4) throw new FieldError("must name 1 to 4 interfaces");
    const network = uuidField("network");
    const groups = listField(uuidField("securityGroup"));
    return entries.map(([name, v]) => {
      if (typeof v !== "object" || v === null)
        throw new FieldError(`${name} must be an object with a network`);
      const { network: n, security_groups: g, ...rest } = v as Record<string, unknown>;
      const unknown = Object.keys(rest);
      if (unknown.length)
        throw new FieldError(`${name}: unknown field ${unknown[0]}: use network, security_groups`);
      try {
        return {
          network: n === undefined ? undefined : network.parse(n),
          security_groups: g === undefined ? undefined : groups.parse(g),
        };
      } catch (err) {
        if (err instanceof FieldError) throw new FieldError(`${name}: ${err.message}`);
        throw err;
      }
    });
  },
};

const launchShape = {
  image_id: { field: uuidField("image"), desc: "image to launch", required: true },
  instance_spec_name: { field: textField({ max: 64 }), desc: "instance spec, e.g. kvm.xlarge" },
  hypervisor: { field: enumField(hypervisors), desc: "hypervisor" },
  cpu_cores: { field: intField({ max: 256 }), desc: "cpu cores" },
  memory_size: { field: intField({ max: 4194304 }), desc: "memory (MB)" },
  ssh_key_id: { field: uuidField("sshKeyPair"), desc: "ssh key pair; Windows images need an RSA one" },
  security_groups: { field: listField(uuidField("securityGroup"), { max: 16 }), desc: "security groups" },
  vifs: { field: vifsField, desc: "network interfaces" },
  hostname: { field: hostnameField, desc: "host name" },
  display_name: { field: textField(), desc: "display name" },
  user_data: {
    field: textField({ max: 16384, lines: true }),
    desc: "user data for the guest (16 KiB at most)",
  },
  host_node_id: { field: uuidField("hostNode"), desc: "place on this host node" },
  service_type: { field: enumField(serviceTypes), desc: "service type" },
  ha_enabled: { field: flagField, desc: "accepted for compatibility; ignored" },
  // Windows images only (windows-options.ts).
  windows_firewall: { field: flagField, desc: "Windows: the guest's firewall on (RDP let in) or off" },
  auto_activate: { field: flagField, desc: "Windows: activate at first boot" },
  kms_host: { field: kmsHostField, desc: "Windows: activate against this KMS host:port" },
  product_key: { field: productKeyField, desc: "Windows: product key applied before activation" },
  password_retries: { field: passwordRetriesField, desc: "Windows: tries at setting the first password" },
};

const listShape = {
  ...pageShape,
  state: {
    field: enumField([...instanceStates, "alive"]),
    desc: "only this state; alive: all but terminated",
  },
  service_type: { field: enumField(serviceTypes), desc: "only this service type" },
};

/** How long a screenshot request waits for the host agent (it polls about once a second). */
const screenshotWaitMs = 15_000;

export function instanceRoutes(
  app: FastifyInstance,
  store: Store,
  screenshots: ScreenshotDesk,
  windowsDefaults: WindowsOptions,
): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  const params = idParams("instance");
  const load = (id: string, accountId: string) => ownedInstance(store.db, id, accountId);
  const view = async (id: string, accountId: string) =>
    (await instanceViews(store.db, [await load(id, accountId)]))[0]!;

  api.get("/instances", { schema: { querystring: listShape } }, async (req) => {
    let q = store.db.selectFrom("instances").selectAll().where("account_id", "=", req.accountId);
    if (req.query.state === "alive") q = q.where("state", "!=", "terminated");
    else if (req.query.state) q = q.where("state", "=", req.query.state);
    if (req.query.service_type) q = q.where("service_type", "=", req.query.service_type);
    return pageOf(q.orderBy("created_at").orderBy("id"), req.query.start!, req.query.limit!, (rows) =>
      instanceViews(store.db, rows),
    );
  });

  api.get("/instances/:id", { schema: { params } }, (req) => view(req.params.id!, req.accountId));

  api.post("/instances", { schema: { body: launchShape } }, async (req) => {
    const { ha_enabled: _ignored, ...request } = req.body;
    return view(await launch(store, req.accountId, request, windowsDefaults), req.accountId);
  });

  const updateShape = {
    display_name: launchShape.display_name,
    ssh_key_id: launchShape.ssh_key_id,
  };
  api.put("/instances/:id", { schema: { params, body: updateShape } }, async (req) => {
    const id = req.params.id!;
    await load(id, req.accountId);
    if (req.body.ssh_key_id)
      await owned(store.db, "ssh_key_pairs", req.body.ssh_key_id, req.accountId, errors.unknownSshKeyPair);
    await store.db.transaction().execute(async (db) => {
      await db
        .updateTable("instances")
        .set({
          ...(req.body.display_name !== undefined && { display_name: req.body.display_name }),
          ...(req.body.ssh_key_id !== undefined && { ssh_key_pair_id: req.body.ssh_key_id }),
          updated_at: now(),
        })
        .where("id", "=", id)
        .execute();
      await recordInstanceEvents(db, [id]);
    });
    return view(id, req.accountId);
  });

  api.delete("/instances/:id", { schema: { params } }, async (req) => {
    const id = req.params.id!;
    await store.db.transaction().execute(async (db) => {
      const instance = await ownedInstance(db, id, req.accountId);
      if (instance.state === "terminated") throw errors.invalidInstanceState(`${id} is terminated already`);
      // Its backup cannot go on without it: ended here, what the agent stored is removed when it hears.
      await abandonBackups(db, id, "its instance was terminated while it was backed up");
      const stamp = now();
      // No agent has started it: nothing runs, so it ends here.
      const unstarted = instance.state === "scheduling" || instance.state === "pending";
      const changed = await changeInstance(
        db,
        id,
        instance.revision,
        unstarted
          ? {
              state: "terminated",
              status: instanceStatus("terminated", null),
              terminated_at: stamp,
              requested_action: null,
              updated_at: stamp,
            }
          : { state: "shuttingdown", requested_action: "terminate", updated_at: stamp },
      );
      if (changed === null) throw changedMeanwhile(id);
      if (unstarted) await releaseResources(db, instance);
      // After its state: an evacuation this move was part of goes on without it.
      await abandonMove(db, id, "its instance was terminated while it moved");
    });
    return [id];
  });

  const powerShape = {
    force: { field: flagField, desc: "power off at once instead of asking the guest (ACPI)" },
  };
  api.put("/instances/:id/poweroff", { schema: { params, body: powerShape } }, async (req) => {
    const force = req.body.force ?? false;
    // A poweroff already asked of the guest may be forced while it is under way.
    const from: readonly InstanceState[] = force
      ? [...actionAllowedFrom.poweroff, "halting"]
      : actionAllowedFrom.poweroff;
    return requestAction(
      req.params.id!,
      req.accountId,
      "poweroff",
      from,
      force ? "poweroff_force" : "poweroff",
      "halting",
    );
  });
  api.put("/instances/:id/poweron", { schema: { params } }, async (req) =>
    requestAction(req.params.id!, req.accountId, "poweron", actionAllowedFrom.poweron, "poweron"),
  );
  api.put("/instances/:id/reboot", { schema: { params } }, async (req) =>
    requestAction(req.params.id!, req.accountId, "reboot", actionAllowedFrom.reboot, "reboot"),
  );

  /** Records a power action for the host agent; the state moves only where api.md says it does at once. */
  async function requestAction(
    id: string,
    accountId: string,
    action: string,
    allowedFrom: readonly InstanceState[],
    requested: RequestedAction,
    nextState?: InstanceState,
  ) {
    await store.db.transaction().execute(async (db) => {
      const instance = await ownedInstance(db, id, accountId);
      if (!allowedFrom.includes(instance.state)) {
        throw errors.invalidInstanceState(
          `${id} is ${instance.state}: ${action} needs it ${allowedFrom.join(" or ")}`,
        );
      }
      await refuseWhileBusy(db, id, action);
      const changed = await changeInstance(db, id, instance.revision, {
        requested_action: requested,
        ...(nextState && { state: nextState }),
        updated_at: now(),
      });
      if (changed === null) throw changedMeanwhile(id);
    });
    return view(id, accountId);
  }

  api.get("/instances/:id/password", { schema: { params } }, async (req) => {
    await forgetExpiredPasswords(store.db, new Date());
    const instance = await load(req.params.id!, req.accountId);
    if (instance.encrypted_password === null) {
      const kept = await keptPassword(store.db, instance.image_id);
      if (kept) throw errors.passwordNotInDatabase(`no encrypted password for ${instance.id}: ${kept}`);
      throw errors.passwordNotInDatabase(
        `no encrypted password for ${instance.id} (it is ${instance.state}): the password appears once its first boot ends, and is gone once deleted`,
      );
    }
    return { id: instance.id, encrypted_password: instance.encrypted_password };
  });

  api.delete("/instances/:id/password", { schema: { params } }, async (req) => {
    await load(req.params.id!, req.accountId);
    await store.db.transaction().execute((db) => forgetPasswords(db, [req.params.id!], new Date()));
    return [req.params.id];
  });

  api.get("/instances/:id/screenshot.png", { schema: { params } }, async (req, reply) => {
    const instance = await load(req.params.id!, req.accountId);
    const noConsole = noConsoleReason(instance.id, instance.state);
    if (noConsole) throw errors.invalidInstanceState(noConsole);
    const png = await screenshots.request(instance.id, screenshotWaitMs);
    if (!png) {
      throw errors.agentTimeout(
        `the host agent of ${instance.host_node_id} sent no screenshot of ${instance.id} within ${screenshotWaitMs / 1000} s: is its hva running?`,
      );
    }
    return reply.type("image/png").header("Cache-Control", "no-store").send(png);
  });
}
