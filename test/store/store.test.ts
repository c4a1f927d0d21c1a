// The store on every backend this run has: schema, seed, types, transactions, constraints.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { defaultInstanceSpecs } from "../../src/model/vocabulary.js";
import { tableNames } from "../../src/store/schema.js";
import type { Store } from "../../src/store/store.js";
import { vdcManage } from "../helpers/cli.js";
import { backends, backupObjectRow, freshStore, imageRow, type TestStore } from "../helpers/stores.js";

const stamp = "2026-01-01T00:00:00.000Z";

for (const backend of backends) {
  describe(`store on ${backend}`, () => {
    let t: TestStore;
    let store: Store;
    before(async () => {
      t = await freshStore(backend);
      store = await t.open();
    });
    after(async () => {
      await store.close();
      await t.dispose();
    });

    test("a fresh store has every table and the seed data", async () => {
      for (const table of tableNames) await store.db.selectFrom(table).selectAll().execute();
      const account = await store.db.selectFrom("accounts").selectAll().executeTakeFirstOrThrow();
      assert.equal(account.id, "a-shpoolxx");
      const bkst = await store.db.selectFrom("backup_storages").selectAll().executeTakeFirstOrThrow();
      assert.equal(bkst.id, "bkst-local");
      assert.equal(bkst.storage_type, "local");
      assert.equal(bkst.base_uri, `file://${t.home}/images/`);
      const specs = await store.db.selectFrom("instance_specs").selectAll().orderBy("name").execute();
      assert.deepEqual(
        specs.map((s) => [s.name, s.hypervisor, s.cpu_cores, s.memory_size]),
        [...defaultInstanceSpecs]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((s) => [s.name, s.hypervisor, s.cpu_cores, s.memory_size]),
      );
      const networks = await store.db.selectFrom("networks").selectAll().execute();
      assert.equal(networks.length, 1);
      assert.equal(networks[0]!.ipv4_gw, "10.0.2.2");
    });

    test("reopening keeps changes and does not seed again", async () => {
      await store.db.deleteFrom("instance_specs").where("name", "=", "kvm.small").execute();
      const again = await t.open();
      try {
        const names = (await again.db.selectFrom("instance_specs").select("name").execute()).map(
          (r) => r.name,
        );
        assert.deepEqual(names.sort(), ["kvm.large", "kvm.xlarge"]);
        assert.equal((await again.db.selectFrom("accounts").selectAll().execute()).length, 1);
      } finally {
        await again.close();
      }
    });

    test("sizes beyond 32 bits come back as the same numbers", async () => {
      await store.db
        .insertInto("backup_objects")
        .values(
          backupObjectRow({
            id: "bo-big",
            object_key: "big.raw.tar.gz",
            size: 32212254720,
            allocation_size: 3050428633,
            checksum: "17c696598a69760ac1110f1418b1bbea",
            container_format: "tgz",
          }),
        )
        .execute();
      const row = await store.db
        .selectFrom("backup_objects")
        .selectAll()
        .where("id", "=", "bo-big")
        .executeTakeFirstOrThrow();
      assert.equal(row.size, 32212254720);
      assert.equal(typeof row.size, "number");
      assert.equal(row.allocation_size, 3050428633);
    });

    test("a failed transaction leaves nothing behind", async () => {
      const before = await t.snapshot();
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await trx
            .insertInto("accounts")
            .values({ id: "a-rollback", display_name: "x", created_at: stamp, updated_at: stamp })
            .execute();
          throw new Error("stop here");
        }),
        /stop here/,
      );
      assert.equal(await t.snapshot(), before);
    });

    test("references are enforced: an image needs an existing backup object", async () => {
      await assert.rejects(
        store.db
          .insertInto("images")
          .values(imageRow({ id: "wmi-orphan", backup_object_id: "bo-missing" }))
          .execute(),
        /foreign key/i,
      );
    });

    test("a taken primary key or node ID is refused by the store itself", async () => {
      const host = {
        id: "hn-dup",
        node_id: "hva.dup",
        display_name: null,
        offering_cpu_cores: 1,
        offering_memory_size: 1024,
        offering_disk_space_mb: 0,
        hypervisor: "kvm",
        arch: "x86_64",
        scheduling_enabled: 1,
        created_at: stamp,
        updated_at: stamp,
      };
      await store.db.insertInto("host_nodes").values(host).execute();
      await assert.rejects(store.db.insertInto("host_nodes").values(host).execute(), /unique|duplicate/i);
      await assert.rejects(
        store.db
          .insertInto("host_nodes")
          .values({ ...host, id: "hn-dup2" })
          .execute(),
        /unique|duplicate/i,
      );
    });

    test("two stores opened at once on one database both work", async () => {
      const [a, b] = await Promise.all([t.open(), t.open()]);
      try {
        const [ra, rb] = await Promise.all([
          a.db.selectFrom("accounts").selectAll().execute(),
          b.db.selectFrom("accounts").selectAll().execute(),
        ]);
        assert.deepEqual(ra, rb);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}

for (const backend of backends) {
  test(`${backend}: processes opening a new store at once migrate and seed it once`, async () => {
    const t = await freshStore(backend);
    try {
      const runs = await Promise.all([1, 2, 3, 4].map(() => vdcManage(["spec", "show", "--json"], t.env)));
      for (const r of runs) {
        assert.equal(r.stderr, "");
        assert.equal(r.code, 0);
        assert.equal(JSON.parse(r.stdout).length, defaultInstanceSpecs.length);
      }
      const store = await t.open();
      try {
        assert.equal((await store.db.selectFrom("accounts").selectAll().execute()).length, 1);
        assert.equal((await store.db.selectFrom("networks").selectAll().execute()).length, 1);
      } finally {
        await store.close();
      }
    } finally {
      await t.dispose();
    }
  });
}

if (backends.includes("postgres")) {
  test("postgres: a connection the server ends is replaced, and the process goes on", async () => {
    const t = await freshStore("postgres");
    const store = await t.open();
    try {
      await store.db.selectFrom("accounts").selectAll().execute();
      // The server ends every connection to this database, as a restart would.
      const admin = new pg.Client({ connectionString: process.env.WAKAME_TEST_PG_URL });
      await admin.connect();
      const database = new URL(t.env.DATABASE_URL!).pathname.slice(1);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [
        database,
      ]);
      await admin.end();
      await new Promise((r) => setTimeout(r, 200));
      const rows = await store.db.selectFrom("accounts").select("id").execute();
      assert.ok(rows.some((r) => r.id === "a-shpoolxx"));
    } finally {
      await store.close();
      await t.dispose();
    }
  });
}

test("sqlite: a transaction takes the write lock when it begins, so another process's write cannot make it fail", async () => {
  const t = await freshStore("sqlite");
  const store = await t.open();
  // Another writer on the same file, that does not wait: as another process would find it.
  const other = new Database(join(t.env.WAKAME_HOME!, "wakame.sqlite3"), { timeout: 0 });
  try {
    let otherWrite = "";
    await store.db.transaction().execute(async (db) => {
      await db.selectFrom("accounts").select("id").execute();
      try {
        other.exec("UPDATE accounts SET display_name = 'other' WHERE id = 'a-shpoolxx'");
        otherWrite = "written";
      } catch (err) {
        otherWrite = (err as Error).message;
      }
      // Without the lock taken at begin, this write would fail: the other write came after our read.
      await db.updateTable("accounts").set({ display_name: "ours" }).where("id", "=", "a-shpoolxx").execute();
    });
    assert.equal(otherWrite, "database is locked");
    const row = await store.db
      .selectFrom("accounts")
      .select("display_name")
      .where("id", "=", "a-shpoolxx")
      .executeTakeFirst();
    assert.equal(row?.display_name, "ours");
  } finally {
    other.close();
    await store.close();
    await t.dispose();
  }
});
