// The host agents' API, apart from the user API: each agent authenticates with
// its host node's token and sees and reports only the instances placed on
// that host node. The agent learns what each instance should be from here and
// reports what it is; it needs nothing else to reach the store.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { createWebSocketStream } from "ws";
import {
  heartbeatShape,
  hostStateQuery,
  passwordReportShape,
  stateReportShape,
} from "../../model/agent-contract.js";
import { textField } from "../../model/fields.js";
import { instanceStatus } from "../../model/instance-state.js";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { bearerToken, tokenSubject } from "../caller.js";
import type { ConsoleDesk } from "../console-desk.js";
import { errors } from "../errors.js";
import { readHostState } from "../host-state/read.js";
import { changeInstance, type InstanceChange, recordPortForwards } from "../instance-change.js";
import { releaseResources } from "../launch.js";
import { deletionTime, type PasswordPolicy } from "../passwords.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import type { ScreenshotDesk } from "../screenshots.js";
import { agentBackupRoute } from "./agent-backups.js";
import { agentMoveRoute } from "./agent-moves.js";
import { idParams, now } from "./common.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The host node whose agent calls. */
    hostNodeId: string;
  }
}

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

  api.post("/heartbeat", { schema: { body: heartbeatShape } }, async (req) => {
    const host = await store.db
      .selectFrom("host_nodes")
      .select("node_id")
      .where("id", "=", req.hostNodeId)
      .executeTakeFirstOrThrow();
    const stamp = now();
    if (req.body?.capabilities)
      await store.db
        .updateTable("host_nodes")
        .set({ capabilities: JSON.stringify(req.body.capabilities) })
        .where("id", "=", req.hostNodeId)
        .execute();
    await store.db
      .insertInto("node_states")
      .values({ node_id: host.node_id, state: "online", last_seen_at: stamp })
      .onConflict((oc) => oc.column("node_id").doUpdateSet({ state: "online", last_seen_at: stamp }))
      .execute();
    return { host_node_id: req.hostNodeId, node_id: host.node_id };
  });

  /** Every instance on the agent's host, as GET /state has them. */
  api.get("/instances", async (req) => (await readHostState(store.db, req.hostNodeId)).instances);

  // A stopping dcmgr answers its long-polls at once instead of holding its close for their wait.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    store.wakeups.poke();
  });

  /**
   * Everything the agent needs to make its host what it should be. With
   * `since`, the answer waits (up to `wait` seconds) until the host's state
   * is no longer that revision; it is read again at each wake-up of the store.
   */
  api.get("/state", { schema: { querystring: hostStateQuery } }, async (req, reply) => {
    const deadline = Date.now() + (req.query.wait ?? 0) * 1000;
    const gone = new Promise<void>((resolve) => reply.raw.once("close", () => resolve()));
    for (;;) {
      // Subscribed before the read: a change committed while it runs still wakes this wait.
      const wake = store.wakeups.next();
      const state = await readHostState(store.db, req.hostNodeId);
      const left = deadline - Date.now();
      if (state.revision !== req.query.since || left <= 0 || closing || reply.raw.destroyed) {
        wake.cancel();
        // Or the server's close would wait for this keep-alive connection to time out.
        if (closing) reply.header("connection", "close");
        return state;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([wake.woken, gone, new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
      wake.cancel();
    }
  });

  api.put("/instances/:id/state", { schema: { params, body: stateReportShape } }, async (req) => {
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
        status: instanceStatus(body.state!, error),
        error,
        ...(terminated && { terminated_at: stamp }),
        ...((terminated || (body.done_action && body.done_action === instance.requested_action)) && {
          requested_action: null,
        }),
        updated_at: stamp,
      });
      // Already terminated (a repeated report): released before, not again.
      if (terminated && instance.state !== "terminated") await releaseResources(db, instance);
      await recordPortForwards(db, id, body.port_forwards ?? []);
      return revision;
    });
    return { id, state: body.state, revision };
  });

  api.put("/instances/:id/password", { schema: { params, body: passwordReportShape } }, async (req) => {
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
  agentBackupRoute(app, store);
  agentMoveRoute(app, store);

  api.put("/instances/:id/screenshot", { schema: { params }, bodyLimit: screenshotLimit }, async (req) => {
    await placed(store.db, req, req.params.id!);
    if (!Buffer.isBuffer(req.body))
      throw errors.unsupportedMediaType("send the screenshot as Content-Type: image/png");
    return { id: req.params.id, delivered: await screenshots.deliver(req.params.id!, req.body) };
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
