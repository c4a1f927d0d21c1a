// The host agents' API, apart from the user API: each agent authenticates with
// its host node's token and sees and reports only the instances placed on
// that host node. The agent learns what each instance should be from here and
// reports what it is; it needs nothing else to reach the store.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { createWebSocketStream } from "ws";
import { enumField, type Field, FieldError, intField, listField, textField } from "../../model/fields.js";
import { instanceStates } from "../../model/instance-state.js";
import { prefixToNetmask } from "../../model/ipv4.js";
import type { PortForward } from "../../model/port-forward.js";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { bearerToken, tokenSubject } from "../caller.js";
import type { ConsoleDesk } from "../console-desk.js";
import { errors } from "../errors.js";
import { changeInstance, type InstanceChange } from "../instance-change.js";
import { releaseResources } from "../launch.js";
import { deletionTime, type PasswordPolicy } from "../passwords.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import type { ScreenshotDesk } from "../screenshots.js";
import { idParams, now } from "./common.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The host node whose agent calls. */
    hostNodeId: string;
  }
}

const portForwardsField: Field<PortForward[]> = {
  type: "json",
  allowed: "[{protocol, guest_port, host_address, host_port}]",
  parse(raw) {
    if (!Array.isArray(raw))
      throw new FieldError("must be a list of {protocol, guest_port, host_address, host_port}");
    return raw.map((f) => {
      const { protocol, guest_port, host_address, host_port } = (f ?? {}) as Record<string, unknown>;
      const port = (p: unknown) => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
      if (
        (protocol !== "tcp" && protocol !== "udp") ||
        !port(guest_port) ||
        !port(host_port) ||
        typeof host_address !== "string"
      ) {
        throw new FieldError(
          "each forward needs protocol tcp|udp, guest_port and host_port 1-65535, and host_address",
        );
      }
      return { protocol, guest_port, host_address, host_port } as PortForward;
    });
  },
};

/** The revision the agent read and acted on: a report from an outdated view is refused (409) and writes nothing. */
const revisionField = {
  field: intField({ min: 0 }),
  desc: "the instance's revision in the GET /instances answer the agent acted on",
  required: true,
};

const stateReport = {
  revision: revisionField,
  state: { field: enumField(instanceStates), desc: "the state the instance is in", required: true },
  error: { field: textField({ max: 4096 }), desc: 'why it failed (sets status error); "" clears it' },
  /** The power action the agent has carried out, so that it is asked no more. */
  done_action: { field: textField({ max: 32 }), desc: "the requested action now carried out" },
  port_forwards: { field: listField(portForwardsField, { max: 4 }), desc: "per vif, in device order" },
};

/** The largest console screenshot an agent may deliver (a 1920x1200 desktop as PNG is well under it). */
const screenshotLimit = 8 << 20;

export interface AgentDesks {
  passwords: PasswordPolicy;
  screenshots: ScreenshotDesk;
  consoles: ConsoleDesk;
}

export function agentRoutes(app: FastifyInstance, store: Store, desks: AgentDesks): void {
  const { passwords, screenshots, consoles } = desks;
  app.decorateRequest("hostNodeId", "");
  app.addHook("onRequest", async (req) => {
    const token = bearerToken(req);
    const host = token && (await tokenSubject(store, "host_node", token));
    if (!host) {
      throw errors.invalidRequestCredentials(
        "agents authenticate with their host node's token: 'Authorization: Bearer TOKEN' (vdc-manage token add --host-node-id hn-...)",
      );
    }
    req.hostNodeId = host;
  });
  const api = app.withTypeProvider<ShapeTypeProvider>();
  const params = idParams("instance");

  /** An instance of the caller's host node, or a 404 exactly as for an unknown one. */
  async function placed(db: Kysely<Database>, req: FastifyRequest, id: string) {
    const row = await db
      .selectFrom("instances")
      .selectAll()
      .where("id", "=", id)
      .where("host_node_id", "=", req.hostNodeId)
      .executeTakeFirst();
    if (!row) throw errors.unknownInstance(`${id} is not placed on ${req.hostNodeId}`);
    return row;
  }

  const outdated = (id: string, current: number, reported: number) =>
    errors.outdatedInstanceRevision(
      `${id} is at revision ${current}, not ${reported}: it changed since the agent read it; read GET /instances again and decide anew`,
    );

  /** Writes an agent's report if it was made from the instance's current revision; the new revision, or a 409. */
  async function reportChange(
    db: Kysely<Database>,
    instance: { id: string; revision: number },
    reported: number,
    change: InstanceChange,
  ): Promise<number> {
    if (instance.revision !== reported) throw outdated(instance.id, instance.revision, reported);
    const revision = await changeInstance(db, instance.id, reported, change);
    if (revision === null) throw outdated(instance.id, instance.revision + 1, reported);
    return revision;
  }

  api.post("/heartbeat", async (req) => {
    const host = await store.db
      .selectFrom("host_nodes")
      .select("node_id")
      .where("id", "=", req.hostNodeId)
      .executeTakeFirstOrThrow();
    const stamp = now();
    await store.db
      .insertInto("node_states")
      .values({ node_id: host.node_id, state: "online", last_seen_at: stamp })
      .onConflict((oc) => oc.column("node_id").doUpdateSet({ state: "online", last_seen_at: stamp }))
      .execute();
    return { host_node_id: req.hostNodeId, node_id: host.node_id };
  });

  /** Everything the agent needs to make each instance on its host what it should be. */
  api.get("/instances", async (req) => {
    const rows = await store.db
      .selectFrom("instances")
      .innerJoin("images", "images.id", "instances.image_id")
      .innerJoin("backup_objects", "backup_objects.id", "images.backup_object_id")
      .innerJoin("backup_storages", "backup_storages.id", "backup_objects.backup_storage_id")
      .select([
        "instances.id",
        "instances.state",
        "instances.requested_action",
        "instances.cpu_cores",
        "instances.memory_size",
        "instances.os_type",
        "instances.hostname",
        "instances.ssh_public_key",
        "instances.user_data",
        "instances.encrypted_password",
        "instances.error",
        "instances.revision",
        "images.id as image_id",
        "images.file_format",
        "images.features",
        "images.is_cacheable",
        "backup_objects.id as backup_object_id",
        "backup_objects.object_key",
        "backup_objects.container_format",
        "backup_objects.size",
        "backup_objects.allocation_size",
        "backup_objects.checksum",
        "backup_storages.base_uri",
      ])
      .where("instances.host_node_id", "=", req.hostNodeId)
      .where("instances.state", "!=", "terminated")
      .orderBy("instances.created_at")
      .execute();
    const ids = rows.map((r) => r.id);
    const vifs = ids.length
      ? await store.db
          .selectFrom("instance_vifs")
          .innerJoin("networks", "networks.id", "instance_vifs.network_id")
          .leftJoin("network_leases", "network_leases.vif_id", "instance_vifs.id")
          .select([
            "instance_vifs.id",
            "instance_vifs.instance_id",
            "instance_vifs.device_index",
            "instance_vifs.mac_address",
            "network_leases.ipv4_address",
            "networks.prefix",
            "networks.ipv4_gw",
            "networks.dns_server",
          ])
          .where("instance_vifs.instance_id", "in", ids)
          .orderBy("instance_vifs.device_index")
          .execute()
      : [];
    const rules = ids.length
      ? await store.db
          .selectFrom("instance_security_groups")
          .innerJoin(
            "security_group_rules",
            "security_group_rules.security_group_id",
            "instance_security_groups.security_group_id",
          )
          .select(["instance_id", "protocol", "from_port", "to_port", "source_cidr", "source_group_id"])
          .where("instance_id", "in", ids)
          .execute()
      : [];
    return rows.map((r) => ({
      id: r.id,
      revision: r.revision,
      state: r.state,
      requested_action: r.requested_action,
      cpu_cores: r.cpu_cores,
      memory_size: r.memory_size,
      os_type: r.os_type,
      hostname: r.hostname,
      ssh_public_key: r.ssh_public_key,
      user_data: r.user_data,
      password_stored: r.encrypted_password !== null,
      error: r.error,
      screenshot_requested: screenshots.requested(r.id),
      console_tunnels: consoles.requested(r.id),
      image: {
        id: r.image_id,
        file_format: r.file_format,
        features: JSON.parse(r.features) as Record<string, boolean>,
        is_cacheable: r.is_cacheable === 1,
        backup_object: {
          id: r.backup_object_id,
          uri: new URL(r.object_key, r.base_uri).href,
          container_format: r.container_format,
          size: r.size,
          allocation_size: r.allocation_size,
          checksum: r.checksum,
        },
      },
      vifs: vifs
        .filter((v) => v.instance_id === r.id)
        .map((v) => ({
          id: v.id,
          index: v.device_index,
          mac_address: v.mac_address,
          ipv4_address: v.ipv4_address,
          netmask: prefixToNetmask(v.prefix),
          gateway: v.ipv4_gw,
          dns: v.dns_server,
        })),
      security_group_rules: rules
        .filter((x) => x.instance_id === r.id)
        .map(({ instance_id: _i, ...rule }) => rule),
    }));
  });

  api.put("/instances/:id/state", { schema: { params, body: stateReport } }, async (req) => {
    const id = req.params.id!;
    const body = req.body;
    const revision = await store.db.transaction().execute(async (db) => {
      const instance = await placed(db, req, id);
      const stamp = now();
      const terminated = body.state === "terminated";
      // An error message sets the instance's error, "" clears it, none leaves it.
      const error = body.error === undefined ? instance.error : body.error || null;
      const revision = await reportChange(db, instance, body.revision!, {
        state: body.state!,
        status: error
          ? "error"
          : body.state === "running"
            ? "online"
            : body.state === "halted" || terminated
              ? "offline"
              : "init",
        error,
        ...(terminated && { terminated_at: stamp }),
        ...((terminated || (body.done_action && body.done_action === instance.requested_action)) && {
          requested_action: null,
        }),
        updated_at: stamp,
      });
      // Already terminated (a repeated report): released before, not again.
      if (terminated && instance.state !== "terminated") await releaseResources(db, instance);
      for (const [index, forwards] of (body.port_forwards ?? []).entries()) {
        await db
          .updateTable("instance_vifs")
          .set({ port_forwards: JSON.stringify(forwards) })
          .where("instance_id", "=", id)
          .where("device_index", "=", index)
          .execute();
      }
      return revision;
    });
    return { id, state: body.state, revision };
  });

  const passwordShape = {
    revision: revisionField,
    encrypted_password: {
      field: textField({ max: 4096, pattern: /^[A-Za-z0-9+/=\s]+$/, patternWords: "base64 text" }),
      desc: "the guest's pw.enc, base64",
      required: true,
    },
  };
  api.put("/instances/:id/password", { schema: { params, body: passwordShape } }, async (req) => {
    const stampDate = new Date();
    const revision = await store.db.transaction().execute(async (db) =>
      reportChange(db, await placed(db, req, req.params.id!), req.body.revision!, {
        encrypted_password: req.body.encrypted_password!.replace(/\s+/g, ""),
        password_will_be_deleted_at: deletionTime(passwords, stampDate),
        updated_at: stampDate.toISOString(),
      }),
    );
    return { id: req.params.id, password_stored: true, revision };
  });

  /** The PNG signature: what screendump writes, checked so nothing else reaches a user as a screenshot. */
  const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  app.addContentTypeParser(
    "image/png",
    { parseAs: "buffer", bodyLimit: screenshotLimit },
    (_req, body, done) => {
      const png = body as Buffer;
      if (!png.subarray(0, 8).equals(pngSignature))
        done(errors.invalidParameter("the body is not a PNG image"));
      else done(null, png);
    },
  );
  agentConsoleRoute(app, store, consoles);

  api.put("/instances/:id/screenshot", { schema: { params }, bodyLimit: screenshotLimit }, async (req) => {
    await placed(store.db, req, req.params.id!);
    if (!Buffer.isBuffer(req.body))
      throw errors.unsupportedMediaType("send the screenshot as Content-Type: image/png");
    return { id: req.params.id, delivered: screenshots.deliver(req.params.id!, req.body) };
  });
}

/** The agent's end of a browser console: the VM's VNC bytes, joined to the waiting page's socket. */
const tunnelParams = {
  ...idParams("instance"),
  tunnel: {
    field: textField({ max: 64, pattern: /^[0-9a-f]+$/, patternWords: "hex digits" }),
    desc: "a tunnel of console_tunnels",
    required: true,
  },
};

function agentConsoleRoute(app: FastifyInstance, store: Store, consoles: ConsoleDesk): void {
  app
    .withTypeProvider<ShapeTypeProvider>()
    .get(
      "/instances/:id/console/:tunnel",
      { websocket: true, schema: { params: tunnelParams } },
      async (socket, req) => {
        // At once, before anything is awaited: the VM's VNC greeting may come in the first instant.
        const stream = createWebSocketStream(socket);
        stream.on("error", () => stream.destroy());
        const placedHere = await store.db
          .selectFrom("instances")
          .select("id")
          .where("id", "=", req.params.id!)
          .where("host_node_id", "=", req.hostNodeId)
          .executeTakeFirst();
        if (!placedHere || !consoles.join(req.params.id!, req.params.tunnel!, socket, stream))
          socket.close(4404, "no browser waits on this tunnel any more");
      },
    );
}
