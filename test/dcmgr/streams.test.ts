// No account exhausts dcmgr for the others through its live streams: each
// account has a cap on open feeds and consoles, a reader that does not read
// is dropped once its stream holds too much unsent, a long catch-up comes in
// pages, and old events are pruned (by age, and per instance by count).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { EventFeed, type InstanceEvent } from "../../src/dcmgr/event-feed.js";
import { pruneInstanceEvents } from "../../src/dcmgr/event-pruning.js";
import { recordInstanceEvents } from "../../src/dcmgr/instance-events.js";
import { writeOrDrop } from "../../src/dcmgr/routes/events.js";
import { addAccount, startApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends } from "../helpers/stores.js";

const keys = tempDir("streams-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);
const rsaPub = readFileSync(join(keys, "rsa.pub"), "utf8");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET /events as `account`: its status, and a way to close it. */
async function feed(origin: string, account: string) {
  const controller = new AbortController();
  const res = await fetch(`${origin}/api/12.03/events`, {
    headers: { "X-VDC-Account-ID": account },
    signal: controller.signal,
  });
  return {
    status: res.status,
    body: res.status === 200 ? null : await res.json(),
    close: () => controller.abort(),
  };
}

/** Launches `n` instances of the seed's image in account a-shpoolxx; their ids. */
async function launch(api: TestApi, n: number): Promise<string[]> {
  const key = (await api.req("POST", "/ssh_key_pairs.json", { form: { public_key: rsaPub } })).body.id;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api.req("POST", "/instances.json", {
      form: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: key },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    ids.push(r.body.id);
  }
  return ids;
}

describe("live streams over HTTP", () => {
  let api: TestApi;
  before(async () => {
    api = await startApi("sqlite", { streamsPerAccount: 3 });
    await addAccount(api.store, "a-other");
  });
  after(() => api.close());

  test("an account at its cap of streams is refused (429) until one closes; another account is not", async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await feed(api.origin, "a-shpoolxx"));
    assert.deepEqual(
      mine.map((f) => f.status),
      [200, 200, 200],
    );
    const refused = await feed(api.origin, "a-shpoolxx");
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, "Dcmgr::Endpoints::Errors::TooManyStreams");
    assert.match(refused.body.message, /has 3 live streams .* open on this server already: close one/);
    const theirs = await feed(api.origin, "a-other");
    assert.equal(theirs.status, 200, "another account's stream is its own");
    mine[0]!.close();
    let again = await feed(api.origin, "a-shpoolxx");
    for (let i = 0; again.status === 429 && i < 50; i++) {
      await sleep(20);
      again = await feed(api.origin, "a-shpoolxx");
    }
    assert.equal(again.status, 200, "a closed stream gives its place back");
    for (const f of [...mine, theirs, again]) f.close();
  });

  test("a reader that never reads is dropped once its stream holds more than its buffer", async () => {
    // A real stream whose reader never takes anything: every write waits.
    const stalled = new Writable({ highWaterMark: 1024, write: () => {} });
    let closed = false;
    stalled.on("close", () => {
      closed = true;
    });
    const event = `event: instance\ndata: ${"x".repeat(1000)}\n\n`;
    let written = 0;
    while (!stalled.destroyed && written < 100) {
      writeOrDrop(stalled, event, 64 * 1024);
      written++;
    }
    await sleep(10);
    assert.ok(stalled.destroyed && closed, "dropped");
    assert.ok(written > 64 && written < 70, `dropped just past 64 KiB: after ${written} events`);
    // A reader that keeps up is never dropped.
    const reading = new Writable({ write: (_c, _e, done) => done() });
    for (let i = 0; i < 1000; i++) writeOrDrop(reading, event, 64 * 1024);
    assert.ok(!reading.destroyed);
  });
});

for (const backend of backends) {
  describe(`instance events on ${backend}`, () => {
    let api: TestApi;
    before(async () => {
      api = await startApi(backend);
    });
    after(() => api.close());

    test("a long catch-up comes in pages, in order, and new events follow it", async () => {
      const [id] = await launch(api, 1);
      for (let i = 0; i < 23; i++)
        await api.store.db.transaction().execute((tx) => recordInstanceEvents(tx, [id!]));
      const since = Number(
        (await api.store.db.selectFrom("instance_events").select("id").orderBy("id").executeTakeFirst())!.id,
      );
      const batches: InstanceEvent[][] = [];
      const f = new EventFeed(api.store.db, { pollMs: 10, catchUpPage: 5 });
      const stop = f.subscribe("a-shpoolxx", since - 1, async (events) => {
        batches.push(events);
      });
      for (let i = 0; batches.flat().length < 24 && i < 200; i++) await sleep(10);
      await api.store.db.transaction().execute((tx) => recordInstanceEvents(tx, [id!]));
      for (let i = 0; batches.flat().length < 25 && i < 200; i++) await sleep(10);
      stop();
      await f.stop();
      assert.deepEqual(
        batches.map((b) => b.length),
        [5, 5, 5, 5, 4, 1],
        "pages of 5, then the new event",
      );
      const all = batches.flat().map((e) => e.id);
      assert.deepEqual(
        all,
        [...all].sort((a, b) => a - b),
      );
    });

    test("pruning keeps what is young and each instance's newest, and always the store's newest event", async () => {
      const [a, b] = await launch(api, 2);
      const db = api.store.db;
      await db.deleteFrom("instance_events").execute();
      for (let i = 0; i < 30; i++) await db.transaction().execute((tx) => recordInstanceEvents(tx, [a!]));
      for (let i = 0; i < 3; i++) await db.transaction().execute((tx) => recordInstanceEvents(tx, [b!]));
      // b's first two are a year old.
      const bs = await db
        .selectFrom("instance_events")
        .select("id")
        .where("instance_id", "=", b!)
        .orderBy("id")
        .execute();
      await db
        .updateTable("instance_events")
        .set({ at: new Date(Date.now() - 365 * 86_400_000).toISOString() })
        .where("id", "in", [bs[0]!.id, bs[1]!.id])
        .execute();
      const newest = bs[2]!.id;
      const gone = await pruneInstanceEvents(db, { keepDays: 90, keepPerInstance: 10 }, new Date());
      assert.equal(gone, 20 + 2);
      const left = await db
        .selectFrom("instance_events")
        .select(["instance_id", "id"])
        .orderBy("id")
        .execute();
      assert.equal(left.filter((e) => e.instance_id === a).length, 10, "a's newest 10");
      assert.deepEqual(
        left.filter((e) => e.instance_id === b).map((e) => e.id),
        [newest],
      );
      // Everything old: the store's newest stays, where a fresh feed starts.
      await db.updateTable("instance_events").set({ at: "2000-01-01T00:00:00.000Z" }).execute();
      await pruneInstanceEvents(db, { keepDays: 90, keepPerInstance: 10 }, new Date());
      assert.deepEqual(
        (await db.selectFrom("instance_events").select("id").execute()).map((e) => e.id),
        [newest],
      );
    });
  });
}
