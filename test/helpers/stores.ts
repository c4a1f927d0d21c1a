// Fresh stores for tests: a temporary WAKAME_HOME with SQLite, or a new
// database on the test PostgreSQL server (WAKAME_TEST_PG_URL, set by test/run.sh).
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Insertable } from "kysely";
import pg from "pg";
import { storeConfig } from "../../src/store/config.js";
import { type BackupObjectsTable, type ImagesTable, tableNames } from "../../src/store/schema.js";
import { openStore, type Store } from "../../src/store/store.js";
import { tempDir } from "./paths.js";

export type Backend = "sqlite" | "postgres";

/** The backends this run can test: SQLite always, PostgreSQL when a server was provided. */
export const backends: Backend[] = process.env.WAKAME_TEST_PG_URL ? ["sqlite", "postgres"] : ["sqlite"];

export interface TestStore {
  readonly backend: Backend;
  /** The environment a command needs to use this store. */
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  open(): Promise<Store>;
  /** Every row of every table, for "nothing changed" checks. */
  snapshot(): Promise<string>;
  dispose(): Promise<void>;
}

export async function freshStore(backend: Backend): Promise<TestStore> {
  const home = tempDir(backend);
  const env: NodeJS.ProcessEnv = { ...process.env, WAKAME_HOME: home };
  delete env.DATABASE_URL;
  let dropDatabase = async () => {};
  if (backend === "postgres") {
    const admin = process.env.WAKAME_TEST_PG_URL!;
    const name = `wakame_test_${randomBytes(5).toString("hex")}`;
    await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(admin);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.href;
    dropDatabase = async () => {
      await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    };
  }
  const open = () => openStore(storeConfig(env), { imagesDir: join(home, "images") });
  return {
    backend,
    env,
    home,
    open,
    async snapshot() {
      const store = await open();
      try {
        const dump: Record<string, unknown[]> = {};
        for (const table of tableNames) {
          const rows = await store.db.selectFrom(table).selectAll().execute();
          dump[table] = rows.map((r) => JSON.stringify(r)).sort();
        }
        return JSON.stringify(dump);
      } finally {
        await store.close();
      }
    },
    async dispose() {
      await dropDatabase();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** An image row as `vdc-manage image add local` writes it (a private Linux image), with `changes` on top. */
export function imageRow(
  changes: Partial<Insertable<ImagesTable>> & { id: string; backup_object_id: string },
): Insertable<ImagesTable> {
  const stamp = new Date().toISOString();
  return {
    account_id: "a-shpoolxx",
    boot_dev_type: "local",
    arch: "x86_64",
    description: null,
    file_format: "raw",
    root_device: null,
    service_type: "std",
    display_name: changes.id,
    is_public: 0,
    is_cacheable: 0,
    os_type: "linux",
    features: "{}",
    state: "available",
    created_at: stamp,
    updated_at: stamp,
    ...changes,
  };
}

/** A backup object row in the seeded local storage (bkst-local), unpacked, with `changes` on top. */
export function backupObjectRow(
  changes: Partial<Insertable<BackupObjectsTable>> &
    Pick<BackupObjectsTable, "id" | "object_key" | "size" | "checksum">,
): Insertable<BackupObjectsTable> {
  const stamp = new Date().toISOString();
  return {
    account_id: "a-shpoolxx",
    backup_storage_id: "bkst-local",
    display_name: null,
    allocation_size: changes.size,
    container_format: "none",
    description: null,
    service_type: "std",
    state: "available",
    created_at: stamp,
    updated_at: stamp,
    ...changes,
  };
}
