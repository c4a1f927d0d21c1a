// The web GUI's server side over real HTTP and WebSockets, on every store
// backend: the live feed (Server-Sent Events) with resume after a
// reconnect, the state history, and the console's tickets and tunnel.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { buildServer } from "../../src/dcmgr/server.js";
import { AgentApi } from "../../src/hva/agent-api.js";
import type { HostState } from "../../src/model/agent-contract.js";
import { type ServerEvent, SseParser } from "../../web/src/api/sse-parser.js";
import { addAccount, startApi, type TestApi } from "../helpers/api.js";
import { freePort } from "../helpers/net.js";
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
      let tunnels: { id: string; dcmgr: string | null }[] = [];
      for (let i = 0; i < 250 && tunnels.length === 0; i++) {
        const listed = await api.agent(agentToken, "GET", "/instances");
        tunnels = listed.body.find((w: { id: string }) => w.id === id).console_tunnels;
        if (tunnels.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(tunnels.length, 1);
      assert.equal(tunnels[0]!.dcmgr, null, "a dcmgr without an agent URL: the agent's current one");
      const agentUrl = `${api.origin.replace("http", "ws")}/api/agent/v1/instances/${id}/console/${tunnels[0]!.id}`;
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

    test("any dcmgr serves any part: a screenshot asked of one is delivered through another; a ticket from one opens a console at another, whose agent URL the tunnel names", {
      timeout: 60_000,
    }, async () => {
      const port = await freePort();
      const otherUrl = `http://127.0.0.1:${port}`;
      const otherStore = await api.t.open();
      const other = await buildServer(otherStore, {
        requireTokens: false,
        passwords: { deleteAfterMinutes: 0 },
        agentUrl: otherUrl,
      });
      await other.listen({ host: "127.0.0.1", port });
      try {
        const id = await launch();
        await api.report(agentToken, id, "state", { state: "running" });
        const asked = fetch(`${api.origin}/api/12.03/instances/${id}/screenshot.png`, {
          headers: { "X-VDC-Account-ID": "a-shpoolxx" },
        });
        const stateAt = async (origin: string) =>
          (
            (await (
              await fetch(`${origin}/api/agent/v1/state`, {
                headers: { Authorization: `Bearer ${agentToken}` },
              })
            ).json()) as HostState
          ).instances.find((w) => w.id === id)!;
        for (let i = 0; i < 250 && !(await stateAt(otherUrl)).screenshot_requested; i++)
          await new Promise((r) => setTimeout(r, 20));
        assert.equal(
          (await stateAt(otherUrl)).screenshot_requested,
          true,
          "the other dcmgr's agents see the request",
        );
        const png = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.from("across")]);
        const delivered = await fetch(`${otherUrl}/api/agent/v1/instances/${id}/screenshot`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${agentToken}`, "Content-Type": "image/png" },
          body: new Uint8Array(png),
        });
        assert.equal(delivered.status, 200);
        assert.deepEqual(Buffer.from(await (await asked).arrayBuffer()), png);

        const ticket = await api.req("POST", `/instances/${id}/console`);
        const page = new WebSocket(`${otherUrl.replace("http", "ws")}${ticket.body.socket}`);
        await new Promise((r) => page.once("open", r));
        let tunnel: { id: string; dcmgr: string | null } | undefined;
        for (let i = 0; i < 250 && !tunnel; i++) {
          tunnel = (await stateAt(api.origin)).console_tunnels[0];
          if (!tunnel) await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(tunnel?.dcmgr, otherUrl, "the tunnel names the dcmgr that holds the page's socket");
        const agentApi = new AgentApi([api.origin, otherUrl], agentToken);
        const agentEnd = await agentApi.openConsoleTunnel(id, tunnel!);
        const fromAgent = new Promise<Buffer>((r) => page.once("message", (d) => r(d as Buffer)));
        agentEnd.write(Buffer.from("RFB 003.008\n"));
        assert.equal((await fromAgent).toString(), "RFB 003.008\n");
        await assert.rejects(
          new AgentApi([api.origin], agentToken).openConsoleTunnel(id, tunnel!),
          /not one of this agent's --dcmgr URLs/,
          "the host token goes to no dcmgr the agent was not given",
        );
        page.close();
        agentEnd.destroy();
      } finally {
        await other.close();
        await otherStore.close();
      }
    });
  });
}
