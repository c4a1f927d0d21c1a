// The web GUI's server side over real HTTP and WebSockets, on every store
// backend: the live feed (Server-Sent Events) with resume after a
// reconnect, the state history, and the console's tickets and tunnel.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { type ServerEvent, SseParser } from "../../web/src/api/sse-parser.js";
import { addAccount, startApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends } from "../helpers/stores.js";

const keys = tempDir("live-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);
const rsaPub = readFileSync(join(keys, "rsa.pub"), "utf8");

/** An open GET /events stream: the events it has delivered so far, and a wait for the next that fits. */
async function openFeed(origin: string, account: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(`${origin}/api/12.03/events`, {
    headers: { "X-VDC-Account-ID": account, ...(lastEventId && { "Last-Event-ID": lastEventId }) },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const events: (ServerEvent & { at: number })[] = [];
  const parser = new SseParser();
  const reading = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
      if (done) return;
      for (const e of parser.push(value!)) events.push({ ...e, at: Date.now() });
    }
  })();
  const next = async (fits: (e: ServerEvent) => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    for (;;) {
      const e = events.find(fits);
      if (e) return e;
      if (Date.now() > end) return null;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    events,
    next,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

const instanceEvent = (id: string, state: string) => (e: ServerEvent) =>
  e.event === "instance" && JSON.parse(e.data).id === id && JSON.parse(e.data).state === state;

for (const backend of backends) {
  describe(`live feed and console on ${backend}`, () => {
    let api: TestApi;
    let agentToken: string;
    let keyId: string;
    before(async () => {
      api = await startApi(backend);
      agentToken = await api.token("host_node", "hn-demo1");
      keyId = (await api.req("POST", "/ssh_key_pairs", { json: { public_key: rsaPub } })).body.id;
      await addAccount(api.store, "a-other");
    });
    after(() => api.close());

    const launch = async () => {
      const made = await api.req("POST", "/instances", {
        json: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: keyId },
      });
      assert.equal(made.status, 200, made.text);
      return made.body.id as string;
    };

    test("each change reaches the account's open feed within a second, as the whole record; another account's feed gets none", async () => {
      const feed = await openFeed(api.origin, "a-shpoolxx");
      const other = await openFeed(api.origin, "a-other");
      try {
        assert.ok(await feed.next((e) => e.event === "ready"));
        assert.ok(await other.next((e) => e.event === "ready"));
        const t0 = Date.now();
        const id = await launch();
        const pending = await feed.next(instanceEvent(id, "pending"));
        assert.ok(pending, "the launch arrived");
        assert.ok(pending.at - t0 < 1000, `${pending.at - t0} ms`);
        assert.equal(JSON.parse(pending.data).image_id, "wmi-windows2008r2");
        const t1 = Date.now();
        assert.equal((await api.report(agentToken, id, "state", { state: "initializing" })).status, 200);
        const initializing = await feed.next(instanceEvent(id, "initializing"));
        assert.ok(initializing && initializing.at - t1 < 1000, "the agent's report arrived");
        assert.ok(Number(initializing.id) > Number(pending.id), "ids grow");
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(
          other.events.filter((e) => e.event === "instance"),
          [],
        );
      } finally {
        await feed.close();
        await other.close();
      }
    });

    test("a feed reopened with Last-Event-ID gets what changed while it was closed, and nothing twice", async () => {
      const id = await launch();
      const feed = await openFeed(api.origin, "a-shpoolxx");
      const seen = await feed
        .next(instanceEvent(id, "pending"), 100)
        .then(async (e) => e ?? (await feed.next((x) => x.event === "ready")));
      await feed.close();
      const resumeFrom = [...feed.events].reverse().find((e) => e.id !== null)!.id!;
      assert.ok(seen);
      await api.report(agentToken, id, "state", { state: "initializing" });
      await api.report(agentToken, id, "state", { state: "running" });
      const again = await openFeed(api.origin, "a-shpoolxx", resumeFrom);
      try {
        const running = await again.next(instanceEvent(id, "running"));
        assert.ok(running, "the change made while closed arrived");
        // Two changes of one instance in the catch-up come as its current record, once.
        assert.equal(
          again.events.filter((e) => e.event === "instance" && JSON.parse(e.data).id === id).length,
          1,
        );
      } finally {
        await again.close();
      }
      // A resume point the store never reached: the page is told to read state afresh.
      const stale = await openFeed(api.origin, "a-shpoolxx", "99999999");
      try {
        assert.ok(await stale.next((e) => e.event === "reset"));
        assert.ok(await stale.next((e) => e.event === "ready"));
      } finally {
        await stale.close();
      }
    });

    test("history: the states with their times, in order; another account's instance is unknown", async () => {
      const id = await launch();
      await api.report(agentToken, id, "state", { state: "initializing" });
      await api.report(agentToken, id, "password", { encrypted_password: "c2VjcmV0" });
      await api.report(agentToken, id, "state", { state: "running" });
      const h = await api.req("GET", `/instances/${id}/history`);
      assert.equal(h.status, 200);
      assert.deepEqual(
        h.body.history.map((x: { state: string }) => x.state),
        ["pending", "initializing", "running"],
        "the password's event changes no state, so it is not a step",
      );
      for (const x of h.body.history) assert.ok(!Number.isNaN(Date.parse(x.at)));
      assert.equal(typeof h.body.usual_first_boot_s, "number");
      assert.equal((await api.req("GET", `/instances/${id}/history`, { account: "a-other" })).status, 404);
    });

    // A lost message shows as a wait that never ends: bounded, so it fails instead.
    test("console: a ticket only while the VM runs, used once; the agent's tunnel joins the page's socket byte for byte", {
      timeout: 60_000,
    }, async () => {
      const id = await launch();
      const early = await api.req("POST", `/instances/${id}/console`);
      assert.equal(early.status, 409);
      assert.match(early.body.message, /a console exists only while it is initializing, running, halting/);
      await api.report(agentToken, id, "state", { state: "initializing" });
      assert.equal((await api.req("POST", `/instances/${id}/console`, { account: "a-other" })).status, 404);
      const ticket = await api.req("POST", `/instances/${id}/console`);
      assert.equal(ticket.status, 200);
      const url = `${api.origin.replace("http", "ws")}${ticket.body.socket}`;

      const closeOf = (ws: WebSocket) =>
        new Promise<{ code: number; reason: string }>((done) =>
          ws.once("close", (code, reason) => done({ code, reason: String(reason) })),
        );
      const refused = new WebSocket(url.replace(/ticket=[^&]+/, "ticket=forged"));
      assert.equal((await closeOf(refused)).code, 4403);

      const page = new WebSocket(url);
      await new Promise((r) => page.once("open", r));
      const listed = await api.agent(agentToken, "GET", "/instances");
      const tunnels = listed.body.find((w: { id: string }) => w.id === id).console_tunnels as string[];
      assert.equal(tunnels.length, 1);
      const agentUrl = `${api.origin.replace("http", "ws")}/api/agent/v1/instances/${id}/console/${tunnels[0]}`;
      const stranger = new WebSocket(agentUrl);
      const strangerAnswer = new Promise<number>((done) =>
        stranger.once("unexpected-response", (_req, res) => done(res.statusCode!)),
      );
      stranger.on("error", () => {});
      assert.equal(await strangerAnswer, 400, "no host token, no tunnel");
      const agent = new WebSocket(agentUrl, { headers: { Authorization: `Bearer ${agentToken}` } });
      await new Promise((r) => agent.once("open", r));
      const fromPage = new Promise<Buffer>((r) => agent.once("message", (d) => r(d as Buffer)));
      const fromAgent = new Promise<Buffer>((r) => page.once("message", (d) => r(d as Buffer)));
      agent.send(Buffer.from("RFB 003.008\n"));
      page.send(Buffer.from([1, 2, 3, 0, 255]));
      assert.equal((await fromAgent).toString(), "RFB 003.008\n");
      assert.deepEqual([...(await fromPage)], [1, 2, 3, 0, 255]);
      // The tunnel is no longer offered, and the ticket is spent.
      const relisted = await api.agent(agentToken, "GET", "/instances");
      assert.deepEqual(relisted.body.find((w: { id: string }) => w.id === id).console_tunnels, []);
      const reuse = new WebSocket(url);
      assert.equal((await closeOf(reuse)).code, 4403);
      // Either end closing closes the other.
      const agentClosed = closeOf(agent);
      page.close();
      await agentClosed;

      // A page that vanishes while it waits (its connection cut, no close frame) ends the wait and nothing else.
      const second = await api.req("POST", `/instances/${id}/console`);
      const vanishing = new WebSocket(`${api.origin.replace("http", "ws")}${second.body.socket}`);
      await new Promise((r) => vanishing.once("open", r));
      vanishing.terminate();
      // The server hears of a cut connection a moment later; on a loaded machine, later still.
      for (let i = 0; i < 250; i++) {
        const w = (await api.agent(agentToken, "GET", "/instances")).body.find(
          (x: { id: string }) => x.id === id,
        );
        if (w.console_tunnels.length === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const after = await api.agent(agentToken, "GET", "/instances");
      assert.deepEqual(after.body.find((w: { id: string }) => w.id === id).console_tunnels, []);
      assert.equal((await api.req("GET", `/instances/${id}`)).status, 200, "dcmgr still serves");
    });
  });
}
