// The agents' GET /state (issue 12): a host's whole state with a revision,
// its firewall's groups with their members' addresses on every host, and the
// long-poll that answers as soon as that state changes, on SQLite and on
// PostgreSQL (where a write by another process wakes it through NOTIFY).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type KyselyPlugin, type OperationNode, sql, TableNode } from "kysely";
import { readHostState } from "../../src/dcmgr/host-state/read.js";
import type { HostState } from "../../src/model/agent-contract.js";
import { hostStateTables } from "../../src/store/wakeups.js";
import { addHostNode, startApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends, freshStore } from "../helpers/stores.js";

const keys = tempDir("host-state-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(keys, "rsa")]);

/** Launches onto `host` alone (the others closed to scheduling meanwhile). */
async function launchOn(api: TestApi, host: string, key: string, groups: string[]): Promise<string> {
  await api.store.db.updateTable("host_nodes").set({ scheduling_enabled: 0 }).execute();
  await api.store.db
    .updateTable("host_nodes")
    .set({ scheduling_enabled: 1, offering_cpu_cores: 8, offering_memory_size: 16384 })
    .where("id", "=", host)
    .execute();
  const r = await api.req("POST", "/instances", {
    json: {
      image_id: "wmi-windows2008r2",
      instance_spec_name: "kvm.small",
      ssh_key_id: key,
      security_groups: groups,
    },
  });
  assert.equal(r.status, 200, r.text);
  return r.body.id;
}

const group = async (api: TestApi, rule: string) => {
  const r = await api.req("POST", "/security_groups", { json: { rule } });
  assert.equal(r.status, 200, r.text);
  return r.body.id as string;
};

/** A query plugin that notes every table the queries through it name. */
function tablesNamed() {
  const tables = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (TableNode.is(node as OperationNode)) tables.add((node as TableNode).table.identifier.name);
    for (const child of Object.values(node)) visit(child);
  };
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      visit(args.node);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { tables, plugin };
}

/** A GET /state and how long it took to answer. */
async function timedState(api: TestApi, token: string, query: string) {
  const began = Date.now();
  const r = await api.agent(token, "GET", `/state${query}`);
  assert.equal(r.status, 200, r.text);
  return { state: r.body as HostState, ms: Date.now() - began };
}

for (const backend of backends) {
  describe(`the agents' GET /state on ${backend}`, () => {
    test("the host's state, its groups' members on every host, and a long-poll woken by changes", async () => {
      const api = await startApi(backend);
      try {
        await addHostNode(api.store, "hn-two", "hva.two");
        const one = await api.token("host_node", "hn-demo1");
        const two = await api.token("host_node", "hn-two");
        const key = (
          await api.req("POST", "/ssh_key_pairs", {
            json: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
          })
        ).body.id;
        const web = await group(api, "tcp:3389,3389,ip4:0.0.0.0");
        const db = await group(api, `tcp:1433,1433,${web}\nicmp:-1,-1,ip4:10.0.0.0/8`);
        const a = await launchOn(api, "hn-demo1", key, [web]);
        const b = await launchOn(api, "hn-two", key, [db]);

        const { state: first } = await timedState(api, two, "");
        assert.match(first.revision, /^[0-9a-f]{20}$/);
        assert.deepEqual(
          first.instances.map((i) => i.id),
          [b],
          "a host sees its own instances only",
        );
        const bAddress = first.instances[0]!.vifs[0]!.ipv4_address;
        assert.deepEqual(first.instances[0]!.security_group_ids, [db]);
        assert.deepEqual(
          first.networks.map((n) => n.id),
          [first.instances[0]!.vifs[0]!.network_id],
        );
        const aAddress = (await timedState(api, one, "")).state.instances[0]!.vifs[0]!.ipv4_address;
        // The rule names web as a source: host two needs web's members though none runs there.
        assert.deepEqual(
          first.security_groups.map((g) => [g.id, g.members]),
          [
            [web, [aAddress]],
            [db, [bAddress]],
          ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        );
        assert.deepEqual(
          first.security_groups
            .find((g) => g.id === db)!
            .rules.map((r) => [r.protocol, r.from_port, r.source_group_id ?? r.source_cidr]),
          [
            ["tcp", 1433, web],
            ["icmp", -1, "10.0.0.0/8"],
          ],
        );

        const unchanged = await timedState(api, two, `?since=${first.revision}&wait=1`);
        assert.equal(unchanged.state.revision, first.revision, "nothing changed: the same revision");
        assert.ok(unchanged.ms >= 900, `it waited the second out (${unchanged.ms} ms)`);
        const stale = await timedState(api, two, "?since=0123456789abcdef0123&wait=30");
        assert.ok(stale.ms < 1000, "a revision other than the current one is answered at once");

        // A rule change on a group of host two's instance wakes its long-poll at once.
        const waiting = timedState(api, two, `?since=${first.revision}&wait=30`);
        await new Promise((r) => setTimeout(r, 300));
        const put = await api.req("PUT", `/security_groups/${db}`, {
          json: { rule: "tcp:1433,1433,ip4:0.0.0.0" },
        });
        assert.equal(put.status, 200, put.text);
        const woken = await waiting;
        assert.ok(woken.ms < 2000, `answered ${woken.ms} ms after the wait began`);
        assert.notEqual(woken.state.revision, first.revision);
        assert.deepEqual(
          woken.state.security_groups.map((g) => g.id),
          [db],
          "web is no longer named by a rule here",
        );

        // A member of a named group going away changes the other host's state: its address leaves the set.
        const named = await api.req("PUT", `/security_groups/${db}`, {
          json: { rule: `tcp:1433,1433,${web}` },
        });
        assert.equal(named.status, 200, named.text);
        const before = (await timedState(api, two, "")).state;
        const waitingForA = timedState(api, two, `?since=${before.revision}&wait=30`);
        await new Promise((r) => setTimeout(r, 300));
        await api.report(one, a, "state", { state: "terminated" });
        const afterA = await waitingForA;
        assert.ok(afterA.ms < 2000, `answered ${afterA.ms} ms after the wait began`);
        assert.deepEqual(afterA.state.security_groups.find((g) => g.id === web)?.members, []);

        if (backend === "postgres") {
          // Written by another process's connection, not through this dcmgr: NOTIFY wakes it.
          const current = (await timedState(api, two, "")).state;
          const waitingForOther = timedState(api, two, `?since=${current.revision}&wait=30`);
          await new Promise((r) => setTimeout(r, 300));
          const other = await api.t.open();
          try {
            await other.db
              .updateTable("security_group_rules")
              .set({ to_port: 1434 })
              .where("security_group_id", "=", db)
              .execute();
          } finally {
            await other.close();
          }
          const byOther = await waitingForOther;
          assert.ok(byOther.ms < 2000, `answered ${byOther.ms} ms after the wait began`);
          assert.equal(byOther.state.security_groups.find((g) => g.id === db)?.rules[0]?.to_port, 1434);
        }

        const badWait = await api.agent(two, "GET", "/state?wait=61");
        assert.equal(badWait.status, 400);
        assert.match(badWait.text, /wait/);
      } finally {
        await api.close();
      }
    });

    test("every table the host's state is read from wakes its long-poll when written", async () => {
      const api = await startApi(backend);
      try {
        const one = await api.token("host_node", "hn-demo1");
        const key = (
          await api.req("POST", "/ssh_key_pairs", {
            json: { public_key: readFileSync(join(keys, "rsa.pub"), "utf8") },
          })
        ).body.id;
        // A rule naming another group: every loader has something to read.
        const named = await group(api, "tcp:22,22,ip4:0.0.0.0");
        await launchOn(api, "hn-demo1", key, [await group(api, `tcp:80,80,${named}`)]);
        const read = tablesNamed();
        const state = await readHostState(api.store.db.withPlugin(read.plugin), "hn-demo1");
        assert.equal(state.security_groups.length, 2);
        const unwatched = [...read.tables].filter((t) => !(hostStateTables as readonly string[]).includes(t));
        assert.deepEqual(unwatched, [], "read by readHostState, and no write to them wakes an agent");
        if (backend === "postgres") {
          const triggers = await sql<{
            table: string;
          }>`select tgrelid::regclass::text as table from pg_trigger
            where tgname like '%_wakes_hosts' order by 1`.execute(api.store.db);
          assert.deepEqual(
            triggers.rows.map((r) => r.table),
            [...hostStateTables].sort(),
            "PostgreSQL's triggers watch the tables hostStateTables names",
          );
        }

        // The image's backup storage moving reaches the agent at once: the URI it fetches from changed.
        const waiting = timedState(api, one, `?since=${state.revision}&wait=30`);
        await new Promise((r) => setTimeout(r, 300));
        await api.store.db
          .updateTable("backup_storages")
          .set({ base_uri: "http://moved.example/images/" })
          .execute();
        const woken = await waiting;
        assert.ok(woken.ms < 2000, `answered ${woken.ms} ms after the wait began`);
        assert.equal(
          woken.state.instances[0]!.image.backup_object.storage_uri,
          "http://moved.example/images/",
        );
      } finally {
        await api.close();
      }
    });

    test("a store closed while its wake-ups are starting closes at once", async () => {
      const t = await freshStore(backend);
      try {
        for (let i = 0; i < 20; i++) {
          const store = await t.open();
          const wait = store.wakeups.next();
          // Closed at some moment of the LISTEN connection's start: before it, while it connects, after.
          await new Promise((r) => setTimeout(r, i * 2));
          const began = Date.now();
          await store.close();
          await wait.woken;
          assert.ok(Date.now() - began < 3000, `closed in ${Date.now() - began} ms (LISTEN starting)`);
        }
      } finally {
        await t.dispose();
      }
    });

    test("a stopping dcmgr answers its long-polls at once", async () => {
      const api = await startApi(backend);
      try {
        const one = await api.token("host_node", "hn-demo1");
        const { state } = await timedState(api, one, "");
        const waiting = timedState(api, one, `?since=${state.revision}&wait=30`);
        await new Promise((r) => setTimeout(r, 300));
        const began = Date.now();
        await api.restart(async () => {});
        const answered = await waiting;
        assert.ok(Date.now() - began < 3000, `the close took ${Date.now() - began} ms`);
        assert.equal(answered.state.revision, state.revision);
      } finally {
        await api.close();
      }
    });
  });
}
