// /events: the live feed of the caller's instances as Server-Sent Events, and
// /instances/:id/history, an instance's states with their times. Each event
// carries the instance's whole current record (as GET /instances/:id shows
// it), so a page applies it without asking again; its id is the resume
// point, sent back as Last-Event-ID (or ?since=) after a reconnect.
import type { ServerResponse } from "node:http";
import type { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { intField } from "../../model/fields.js";
import type { Store } from "../../store/store.js";
import { errors } from "../errors.js";
import type { EventFeed, InstanceEvent } from "../event-feed.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import type { StreamQuota } from "../stream-quota.js";
import { instanceViews } from "../views.js";
import { idParams, ownedInstance } from "./common.js";

/** A comment line this often keeps proxies and sleeping laptops from dropping an idle stream unnoticed. */
const keepAliveMs = 15_000;

/**
 * What one stream may hold unsent, by default: a reader that lets more pile
 * up (a page that never reads) is dropped, and resumes from its
 * Last-Event-ID when it comes back, its catch-up in pages (event-feed.ts).
 */
export const defaultStreamBufferBytes = 1 << 20;

/** How many of an image's latest instances the usual first boot is taken from. */
const firstBootSample = 20;

const eventsShape = {
  since: { field: intField({ min: 0 }), desc: "resume after this event id (as the Last-Event-ID header)" },
};

/**
 * Writes `text` to a stream's reader, or drops the reader (destroys the
 * stream) when more than `limit` bytes wait unsent already; nothing once the
 * stream has ended (a stopping dcmgr ends it before the page's close arrives).
 */
export function writeOrDrop(out: Writable, text: string, limit: number): void {
  if (out.writableEnded || out.destroyed) return;
  if (out.writableLength > limit) out.destroy();
  else out.write(text);
}

export function eventRoutes(
  app: FastifyInstance,
  store: Store,
  feed: EventFeed,
  limits: { quota: StreamQuota; bufferBytes: number },
): void {
  const { quota } = limits;
  const api = app.withTypeProvider<ShapeTypeProvider>();
  // A stopping dcmgr ends its streams (they never end by themselves); the pages reconnect to the next one.
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const out of streams) out.end();
  });

  api.get("/events", { schema: { querystring: eventsShape } }, async (req, reply) => {
    const header = Number(req.headers["last-event-id"]);
    const resumeFrom = req.query.since ?? (Number.isInteger(header) && header >= 0 ? header : undefined);
    const release = quota.take(req.accountId);
    if (!release) throw errors.tooManyStreams(quota.refusal());
    let newest: number;
    try {
      newest = await feed.newest();
    } catch (err) {
      release();
      throw err;
    }
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const write = (text: string) => writeOrDrop(out, text, limits.bufferBytes);
    const send = (event: string, id: number | null, data: unknown) =>
      write(`${id === null ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    write("retry: 1000\n\n");
    // A resume point the store never reached (another store, or one restored from backup): start afresh.
    const fresh = resumeFrom === undefined || resumeFrom > newest;
    if (resumeFrom !== undefined && resumeFrom > newest) send("reset", null, { newest });
    send("ready", fresh ? newest : null, { last_event_id: fresh ? newest : resumeFrom });

    const deliver = async (events: InstanceEvent[]) => {
      // Several changes of one instance in a batch: its current record once, under the last one's id.
      const lastOf = new Map<string, number>();
      for (const e of events) lastOf.set(e.instance_id, e.id);
      const rows = await store.db
        .selectFrom("instances")
        .selectAll()
        .where("id", "in", [...lastOf.keys()])
        .where("account_id", "=", req.accountId)
        .execute();
      const views = await instanceViews(store.db, rows);
      const ordered = views.map((view) => ({ view, id: lastOf.get(view.id)! })).sort((a, b) => a.id - b.id);
      for (const { view, id } of ordered) send("instance", id, view);
    };
    const unsubscribe = feed.subscribe(req.accountId, fresh ? newest : resumeFrom, deliver);
    const keepAlive = setInterval(() => write(": keep-alive\n\n"), keepAliveMs);
    streams.add(out);
    out.once("close", () => {
      release();
      streams.delete(out);
      clearInterval(keepAlive);
      unsubscribe();
    });
  });

  api.get("/instances/:id/history", { schema: { params: idParams("instance") } }, async (req) => {
    const instance = await ownedInstance(store.db, req.params.id!, req.accountId);
    const events = await store.db
      .selectFrom("instance_events")
      .select(["state", "status", "error", "at"])
      .where("instance_id", "=", instance.id)
      .orderBy("id")
      .execute();
    // Only what a user sees change: the state, its status and the error.
    const history = events.filter((e, i) => {
      const before = events[i - 1];
      return !before || before.state !== e.state || before.status !== e.status || before.error !== e.error;
    });
    return { id: instance.id, history, usual_first_boot_s: await usualFirstBoot(instance.image_id) };
  });

  /**
   * How long the first boot (initializing until running) took for the last
   * instances of this image, the median in seconds; null before any did it.
   * A Windows page shows it while the password is not ready yet.
   */
  async function usualFirstBoot(imageId: string): Promise<number | null> {
    const recent = await store.db
      .selectFrom("instances")
      .select("id")
      .where("image_id", "=", imageId)
      .orderBy("created_at", "desc")
      .limit(firstBootSample)
      .execute();
    if (recent.length === 0) return null;
    const events = await store.db
      .selectFrom("instance_events")
      .select(["instance_id", "state", "at"])
      .where(
        "instance_id",
        "in",
        recent.map((r) => r.id),
      )
      .where("state", "in", ["initializing", "running"])
      .orderBy("id")
      .execute();
    const took: number[] = [];
    for (const { id } of recent) {
      const mine = events.filter((e) => e.instance_id === id);
      const began = mine.find((e) => e.state === "initializing");
      const ran = mine.find((e) => e.state === "running");
      if (began && ran) took.push((Date.parse(ran.at) - Date.parse(began.at)) / 1000);
    }
    took.sort((a, b) => a - b);
    return took.length ? Math.round(took[Math.floor(took.length / 2)]!) : null;
  }
}
