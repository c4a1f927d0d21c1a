// Moves of instances between hosts in the store, on every store backend,
// with both host agents' sides played by their API calls: a move asked of a
// running instance chooses a destination (never its own host) and counts the
// instance on both hosts; both hosts' states carry it, each with its part
// and the channel's token; the destination says where it listens, the source
// how far it copied and asks to hand the guest over (granted: switching), the
// destination that the guest runs: then the instance
// is placed there and counted there only. A failed move gives the
// destination its room back and leaves the instance where it was. Reports
// out of turn, from the wrong side or from a third host are refused. A dcmgr
// that starts fails the moves it had not let switch over.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ApiError } from "../../src/dcmgr/errors.js";
import { lastEvacuation, startEvacuation } from "../../src/dcmgr/evacuation.js";
import { cutShortByRestart, requestMove } from "../../src/dcmgr/move.js";
import { addAccount, addHostNode, startWindowsApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends } from "../helpers/stores.js";

const keys = tempDir("move-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);

interface Wanted {
  id: string;
  move: {
    move_id: string;
    kind: string;
    role: string;
    state: string;
    token: string;
    destination: unknown;
  } | null;
}

for (const backend of backends) {
  describe(`moves on ${backend}`, () => {
    let api: TestApi;
    let keyId: string;
    const tokens: Record<string, string> = {};
    before(async () => {
      let hnDemo: string;
      ({ api, agentToken: hnDemo, keyId } = await startWindowsApi(backend, join(keys, "rsa.pub")));
      tokens["hn-demo1"] = hnDemo;
      await addAccount(api.store, "a-other");
      for (const id of ["hn-b", "hn-c"]) {
        await addHostNode(api.store, id, `hva.${id}`);
        tokens[id] = await api.token("host_node", id);
      }
    });
    after(() => api.close());

    const host = (id: string) =>
      api.store.db
        .selectFrom("host_nodes")
        .select(["used_cpu_cores", "used_memory_size"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    const roomy = (id: string, enabled: boolean) =>
      api.store.db
        .updateTable("host_nodes")
        .set({ offering_cpu_cores: 8, offering_memory_size: 8192, scheduling_enabled: enabled ? 1 : 0 })
        .where("id", "=", id)
        .execute();
    const stateOf = async (hostId: string) =>
      (await api.agent(tokens[hostId]!, "GET", "/state")).body.instances as Wanted[];
    const say = (hostId: string, move: string, json: Record<string, unknown>) =>
      api.agent(tokens[hostId]!, "PUT", `/moves/${move}`, json);
    const instanceRow = (id: string) =>
      api.store.db.selectFrom("instances").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

    /** A running instance on hn-demo1 (the only host taking launches then). */
    async function runningOnDemo() {
      await roomy("hn-b", false);
      const r = await api.req("POST", "/instances.json", {
        form: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: keyId },
      });
      assert.equal(r.status, 200, r.text);
      const id: string = r.body.id;
      assert.equal((await api.report(tokens["hn-demo1"]!, id, "state", { state: "running" })).status, 200);
      await roomy("hn-b", true);
      return id;
    }

    test("a running instance moves live: counted on both hosts meanwhile, each host's state with its part, then placed on the destination", async () => {
      const id = await runningOnDemo();
      const { account_id: account, cpu_cores, memory_size } = await instanceRow(id);
      const [demoBefore, bBefore] = [await host("hn-demo1"), await host("hn-b")];
      const asked = await requestMove(api.store, account, id, null);
      assert.equal(asked.kind, "live");
      assert.equal(asked.destination_host_node_id, "hn-b", "the scheduler's choice, never its own host");
      assert.match(asked.move_id, /^mv-[a-z0-9]{8}$/);
      assert.deepEqual(await host("hn-b"), {
        used_cpu_cores: bBefore.used_cpu_cores + cpu_cores,
        used_memory_size: bBefore.used_memory_size + memory_size,
      });
      assert.deepEqual(await host("hn-demo1"), demoBefore, "still counted where it runs");

      const atSource = (await stateOf("hn-demo1")).find((w) => w.id === id)!;
      const atDestination = (await stateOf("hn-b")).find((w) => w.id === id);
      assert.ok(atDestination, "the destination's state carries the instance coming to it");
      assert.deepEqual(atSource.move, {
        move_id: asked.move_id,
        kind: "live",
        role: "source",
        state: "preparing",
        token: atSource.move!.token,
        destination: null,
      });
      assert.match(atSource.move!.token, /^[0-9a-f]{64}$/);
      assert.deepEqual(atDestination.move, { ...atSource.move, role: "destination" });
      assert.equal((await stateOf("hn-c")).length, 0, "a third host sees nothing of it");

      // The destination listens; the source learns where.
      const ready = await say("hn-b", asked.move_id, { state: "ready", address: "192.0.2.12", port: 40123 });
      assert.equal(ready.status, 200, ready.text);
      assert.deepEqual((await stateOf("hn-demo1")).find((w) => w.id === id)!.move!.destination, {
        address: "192.0.2.12",
        port: 40123,
      });
      assert.equal((await say("hn-demo1", asked.move_id, { state: "copying", progress: 40 })).status, 200);
      assert.equal((await say("hn-demo1", asked.move_id, { state: "copying", progress: 30 })).status, 200);
      const moving = await api.store.db
        .selectFrom("instance_moves")
        .selectAll()
        .where("id", "=", asked.move_id)
        .executeTakeFirstOrThrow();
      assert.deepEqual([moving.state, moving.progress], ["copying", 40], "progress never goes back");

      // Out of turn, the wrong side, a third host.
      const wrongSide = await say("hn-demo1", asked.move_id, { state: "done" });
      assert.equal(wrongSide.status, 409, wrongSide.text);
      assert.match(wrongSide.body.message, /only the destination says a move is done/);
      assert.equal((await say("hn-c", asked.move_id, { state: "failed", error: "x" })).status, 404);
      const halfReady = await say("hn-b", asked.move_id, { state: "ready", port: 1 });
      assert.equal(halfReady.status, 400, halfReady.text);
      assert.match(halfReady.body.message, /address/);

      // The guest runs at the destination only once dcmgr granted the hand-over, which the source asks.
      const unasked = await say("hn-b", asked.move_id, { state: "done" });
      assert.equal(unasked.status, 409, unasked.text);
      assert.match(unasked.body.message, /a copying live move cannot become done/);
      const byDestination = await say("hn-b", asked.move_id, { state: "switching" });
      assert.equal(byDestination.status, 409, byDestination.text);
      assert.equal((await say("hn-demo1", asked.move_id, { state: "switching" })).status, 200);
      // A progress report that crossed the leave on its way leaves the move switching.
      assert.equal((await say("hn-demo1", asked.move_id, { state: "copying", progress: 98 })).status, 200);
      assert.equal((await stateOf("hn-b")).find((w) => w.id === id)!.move!.state, "switching");

      const done = await say("hn-b", asked.move_id, { state: "done" });
      assert.equal(done.status, 200, done.text);
      assert.equal((await instanceRow(id)).host_node_id, "hn-b");
      assert.deepEqual(await host("hn-demo1"), {
        used_cpu_cores: demoBefore.used_cpu_cores - cpu_cores,
        used_memory_size: demoBefore.used_memory_size - memory_size,
      });
      assert.deepEqual(await host("hn-b"), {
        used_cpu_cores: bBefore.used_cpu_cores + cpu_cores,
        used_memory_size: bBefore.used_memory_size + memory_size,
      });
      assert.equal(
        (await stateOf("hn-demo1")).find((w) => w.id === id),
        undefined,
        "gone from the source's state",
      );
      assert.equal((await stateOf("hn-b")).find((w) => w.id === id)!.move, null, "the destination's own now");
      const late = await say("hn-b", asked.move_id, { state: "failed", error: "late" });
      assert.equal(late.status, 409, late.text);
      assert.match(late.body.message, /done already/);
    });

    test("a halted instance moves cold: both hosts told so; done, it is halted on the destination, and may be powered on there", async () => {
      const id = await runningOnDemo();
      assert.equal((await api.report(tokens["hn-demo1"]!, id, "state", { state: "halted" })).status, 200);
      const { account_id: account } = await instanceRow(id);
      const asked = await requestMove(api.store, account, id, "hn-b");
      assert.equal(asked.kind, "cold");
      for (const h of ["hn-demo1", "hn-b"]) {
        const m = (await stateOf(h)).find((w) => w.id === id)!.move!;
        assert.deepEqual([m.kind, m.state], ["cold", "preparing"], h);
      }
      const poweron = await api.req("PUT", `/instances/${id}/poweron.json`, { form: {} });
      assert.equal(poweron.status, 409, "no power on while its files move");
      assert.equal(
        (await say("hn-b", asked.move_id, { state: "ready", address: "192.0.2.12", port: 1 })).status,
        200,
      );
      assert.equal((await say("hn-demo1", asked.move_id, { state: "copying", progress: 50 })).status, 200);
      assert.equal((await say("hn-b", asked.move_id, { state: "done" })).status, 200);
      const moved = await instanceRow(id);
      assert.deepEqual([moved.host_node_id, moved.state], ["hn-b", "halted"]);
      assert.equal((await api.req("PUT", `/instances/${id}/poweron.json`, { form: {} })).status, 200);
    });

    test("a failed move gives the destination its room back; the instance stays where it was", async () => {
      const id = await runningOnDemo();
      const { account_id: account } = await instanceRow(id);
      const bBefore = await host("hn-b");
      const asked = await requestMove(api.store, account, id, "hn-b");
      const failed = await say("hn-demo1", asked.move_id, { state: "failed", error: "the link broke" });
      assert.equal(failed.status, 200, failed.text);
      assert.deepEqual(await host("hn-b"), bBefore);
      assert.equal((await instanceRow(id)).host_node_id, "hn-demo1");
      assert.equal(
        (await stateOf("hn-b")).find((w) => w.id === id),
        undefined,
      );
      assert.equal((await stateOf("hn-demo1")).find((w) => w.id === id)!.move, null);
      const moveRow = await api.store.db
        .selectFrom("instance_moves")
        .select(["state", "error"])
        .where("id", "=", asked.move_id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(moveRow, { state: "failed", error: "the link broke" });
    });

    test("a dcmgr that starts fails the moves it did not let switch over (their destinations' room given back); a granted one goes on to its end", async () => {
      const [cut, granted] = [await runningOnDemo(), await runningOnDemo()];
      const bBefore = await host("hn-b");
      const moves: string[] = [];
      for (const id of [cut, granted]) {
        const asked = await requestMove(api.store, null, id, "hn-b");
        assert.equal(
          (await say("hn-b", asked.move_id, { state: "ready", address: "192.0.2.12", port: 1 })).status,
          200,
        );
        assert.equal((await say("hn-demo1", asked.move_id, { state: "copying", progress: 60 })).status, 200);
        moves.push(asked.move_id);
      }
      assert.equal((await say("hn-demo1", moves[1]!, { state: "switching" })).status, 200);
      const size = await instanceRow(granted);

      await api.restart(async () => {});

      const shown = (await api.req("GET", `/instances/${cut}.json`)).body;
      assert.deepEqual(
        [shown.host_node, shown.state, shown.status, shown.move.state, shown.move.error],
        ["hn-demo1", "running", "online", "failed", cutShortByRestart],
      );
      assert.equal(
        (await stateOf("hn-b")).find((w) => w.id === cut),
        undefined,
        "the destination drops it",
      );
      assert.equal((await stateOf("hn-demo1")).find((w) => w.id === cut)!.move, null);
      // The source, still copying, is refused the hand-over: its guest runs on there.
      const late = await say("hn-demo1", moves[0]!, { state: "switching" });
      assert.equal(late.status, 409, late.text);
      assert.deepEqual(
        await host("hn-b"),
        {
          used_cpu_cores: bBefore.used_cpu_cores + size.cpu_cores,
          used_memory_size: bBefore.used_memory_size + size.memory_size,
        },
        "only the granted move's room kept",
      );

      assert.equal((await stateOf("hn-b")).find((w) => w.id === granted)!.move!.state, "switching");
      assert.equal((await say("hn-b", moves[1]!, { state: "done" })).status, 200);
      assert.equal((await instanceRow(granted)).host_node_id, "hn-b");
    });

    test("through the API: PUT /instances/:id/move answers the move; the instance shows it moving; power actions wait; terminate ends it", async () => {
      const id = await runningOnDemo();
      const bBefore = await host("hn-b");
      const bad = await api.req("PUT", `/instances/${id}/move.json`, {
        form: { host_node_id: "not a host" },
      });
      assert.equal(bad.status, 400, bad.text);
      const other = await api.req("PUT", `/instances/${id}/move.json`, { form: {}, account: "a-other" });
      assert.equal(other.status, 404, other.text);
      const r = await api.req("PUT", `/instances/${id}/move.json`, { form: { host_node_id: "hn-b" } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, {
        move_id: r.body.move_id,
        instance_id: id,
        kind: "live",
        destination_host_node_id: "hn-b",
      });
      const shown = (await api.req("GET", `/instances/${id}.json`)).body;
      assert.deepEqual([shown.state, shown.status, shown.host_node], ["running", "moving", "hn-demo1"]);
      assert.deepEqual(shown.move, {
        move_id: r.body.move_id,
        kind: "live",
        state: "preparing",
        progress: 0,
        error: null,
        destination_host_node_id: "hn-b",
      });
      const reboot = await api.req("PUT", `/instances/${id}/reboot.json`, { form: {} });
      assert.equal(reboot.status, 409, reboot.text);
      assert.match(
        reboot.body.message,
        /is moving to hn-b .*: reboot waits until it has arrived or the move failed/,
      );

      assert.equal((await api.req("DELETE", `/instances/${id}.json`)).status, 200);
      const ended = (await api.req("GET", `/instances/${id}.json`)).body;
      assert.deepEqual(
        [ended.move.state, ended.move.error],
        ["failed", "its instance was terminated while it moved"],
      );
      assert.deepEqual(await host("hn-b"), bBefore, "the destination's room given back");
      assert.equal(
        (await stateOf("hn-b")).find((w) => w.id === id),
        undefined,
      );
    });

    test("refused: a second move while one is under way, its own host, another account's instance, a host without room, one that does not exist", async () => {
      const id = await runningOnDemo();
      const { account_id: account } = await instanceRow(id);
      const refused = async (
        destination: string | null,
        who: string | null,
        status: number,
        words: RegExp,
      ) => {
        const err = await requestMove(api.store, who, id, destination).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(err instanceof ApiError, `refused: ${err}`);
        assert.match(err.message, words);
        assert.equal(err.statusCode, status, err.message);
      };
      await refused("hn-demo1", account, 400, /is on hn-demo1 already/);
      await refused(null, "a-other", 404, /does not exist/);
      await refused("hn-nowhere", account, 404, /host_node_id: hn-nowhere does not exist/);
      await refused(
        "hn-c",
        account,
        503,
        /^besides hn-demo1, where it is, no kvm\/x86_64 host node takes instances/,
      );
      await requestMove(api.store, account, id, "hn-b");
      await refused(null, account, 409, /is moving to hn-b already/);
    });

    describe("evacuating hn-demo1", () => {
      const evacuate = async (parallel: number) => {
        const begun = await api.store.db
          .transaction()
          .execute((db) => startEvacuation(db, "hn-demo1", parallel));
        if ("refused" in begun) assert.fail(begun.refused);
        return begun;
      };
      const schedulingOn = async (id: string) =>
        (
          await api.store.db
            .selectFrom("host_nodes")
            .select("scheduling_enabled")
            .where("id", "=", id)
            .executeTakeFirstOrThrow()
        ).scheduling_enabled === 1;
      const lastMove = (id: string) =>
        api.store.db
          .selectFrom("instance_moves")
          .selectAll()
          .where("instance_id", "=", id)
          .orderBy("created_at", "desc")
          .orderBy("id", "desc")
          .executeTakeFirstOrThrow();
      const arrive = async (move: string) => {
        assert.equal(
          (await say("hn-b", move, { state: "ready", address: "192.0.2.12", port: 1 })).status,
          200,
        );
        assert.equal((await say("hn-demo1", move, { state: "switching" })).status, 200);
        assert.equal((await say("hn-b", move, { state: "done" })).status, 200);
      };
      /** The earlier tests' instances terminated, hn-demo1 taking launches again. */
      async function emptyDemoHost() {
        const left = await api.store.db
          .selectFrom("instances")
          .select("id")
          .where("host_node_id", "=", "hn-demo1")
          .where("state", "not in", ["terminated", "shuttingdown"])
          .execute();
        for (const { id } of left)
          assert.equal((await api.req("DELETE", `/instances/${id}.json`)).status, 200);
        await api.store.db
          .updateTable("host_nodes")
          .set({ scheduling_enabled: 1 })
          .where("id", "=", "hn-demo1")
          .execute();
      }

      test("three running instances, two at a time: the host takes nothing new; as one move ends the next begins; a failed move leaves its instance behind, said", async () => {
        await emptyDemoHost();
        const ids = [await runningOnDemo(), await runningOnDemo(), await runningOnDemo()];
        const begun = await evacuate(2);
        assert.deepEqual(
          begun.started.map((m) => [m.instance_id, m.kind, m.destination_host_node_id]),
          ids.slice(0, 2).map((id) => [id, "live", "hn-b"]),
        );
        assert.match(begun.id, /^ev-[a-z0-9]{8}$/);
        assert.equal(begun.words, `${begun.id} running: 0 moved, 2 moving`);
        assert.equal(await schedulingOn("hn-demo1"), false, "nothing new placed on it");
        const again = await api.store.db.transaction().execute((db) => startEvacuation(db, "hn-demo1", 2));
        assert.deepEqual(again, {
          refused: `hn-demo1 is being evacuated already (${begun.id}): wait until it ends ('vdc-manage host show hn-demo1' says how far it is)`,
        });

        const [first, second] = begun.started.map((m) => m.move_id);
        await arrive(first!);
        const third = await lastMove(ids[2]!);
        assert.deepEqual(
          [third.state, third.evacuation_id],
          ["preparing", begun.id],
          "the third began as the first ended",
        );
        assert.equal(
          (await say("hn-demo1", second!, { state: "failed", error: "the link broke" })).status,
          200,
        );
        assert.equal(
          await lastEvacuation(api.store.db, "hn-demo1"),
          `${begun.id} running: 1 moved, 1 moving`,
        );
        await arrive(third.id);
        assert.equal(
          await lastEvacuation(api.store.db, "hn-demo1"),
          `${begun.id} incomplete: 2 moved, 1 left: ${ids[1]} (${second} failed: the link broke)`,
        );
        assert.deepEqual(await Promise.all(ids.map(async (id) => (await instanceRow(id)).host_node_id)), [
          "hn-b",
          "hn-demo1",
          "hn-b",
        ]);
        assert.equal(await schedulingOn("hn-demo1"), false, "until the operator enables it");
      });

      test("one that cannot move is left behind with the reason; a terminated one's place goes to the next; a host with nothing on it is done at once", async () => {
        await emptyDemoHost();
        const [a, b, h] = [await runningOnDemo(), await runningOnDemo(), await runningOnDemo()];
        await api.store.db
          .updateTable("instances")
          .set({ state: "initializing" })
          .where("id", "=", h!)
          .execute();
        const begun = await evacuate(1);
        assert.deepEqual(
          begun.started.map((m) => m.instance_id),
          [a],
        );
        assert.equal((await api.req("DELETE", `/instances/${a}.json`)).status, 200);
        const next = await lastMove(b!);
        assert.equal(next.state, "preparing", "b began as a's move was abandoned");
        await arrive(next.id);
        assert.equal(
          await lastEvacuation(api.store.db, "hn-demo1"),
          `${begun.id} incomplete: 1 moved, 1 left: ${h} (${h} is initializing: only a running or halted instance moves: wait until it is one or the other)`,
        );

        await emptyDemoHost();
        const empty = await evacuate(2);
        assert.deepEqual([empty.started, empty.words], [[], `${empty.id} done: 0 moved`]);
      });
    });
  });
}
