// Opens the store: one query layer (Kysely) over SQLite or PostgreSQL, with
// the schema brought up to date and a fresh store seeded, on every open.

import { chownSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import { describeStore, type StoreConfig } from "./config.js";
import { migrationsFor } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { SeedSettings } from "./seed.js";
import { listenOnPostgres, WakeupHub, type Wakeups, wakeOnWrites } from "./wakeups.js";

export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreConfig["kind"];
  /** "SQLite /path" or "PostgreSQL host/db", for messages. */
  readonly description: string;
  /** Wakes the host agents' long-polls when a host's state may have changed. */
  readonly wakeups: Wakeups;
  close(): Promise<void>;
}

interface Connection {
  db: Kysely<Database>;
  wakeups: WakeupHub;
  /** Runs the migrations so that a second process opening the store at the same time waits, then finds them done. */
  exclusively(migrate: () => Promise<void>): Promise<void>;
}

// Each backend's driver is loaded only when used: a CLI call should not pay for both.
async function connect(config: StoreConfig): Promise<Connection> {
  if (config.kind === "postgres") {
    const { default: pg } = await import("pg");
    // PostgreSQL returns bigint columns as strings; our sizes fit a double exactly.
    const pgTypes = {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === pg.types.builtins.INT8
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as never,
    };
    const pool = new pg.Pool({ connectionString: config.url, max: 10, types: pgTypes });
    // An idle connection the server ends (a restart, an administrator) is
    // dropped by the pool and replaced on next use; unheard, its error would
    // end the whole process.
    pool.on("error", (err) =>
      process.stderr.write(`store: a PostgreSQL connection was lost: ${err.message}\n`),
    );
    // Kysely migrates PostgreSQL in one transaction under an advisory lock.
    return {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      wakeups: new WakeupHub(listenOnPostgres(config.url, (line) => process.stderr.write(`${line}\n`))),
      exclusively: (m) => m(),
    };
  }
  const { default: openSqlite } = await import("better-sqlite3");
  mkdirSync(dirname(config.file), { recursive: true });
  const fresh = !existsSync(config.file);
  const sqlite = new openSqlite(config.file);
  // root's vdc-manage may be first to open an installed cloud's database: the
  // file goes to the owner of its directory (the service's user), so that
  // dcmgr can write it; SQLite gives its -wal and -shm files the same owner.
  if (fresh && process.getuid?.() === 0) {
    const dir = statSync(dirname(config.file));
    chownSync(config.file, dir.uid, dir.gid);
  }
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 10000");
  // With WAL, NORMAL syncs at checkpoints instead of at every commit: the
  // database stays consistent after a crash; a power cut may lose the last commits.
  sqlite.pragma("synchronous = NORMAL");
  const wakeups = new WakeupHub();
  return {
    db: new Kysely<Database>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
      plugins: [wakeOnWrites(wakeups)],
    }),
    wakeups,
    // Kysely takes no lock on SQLite and runs each statement alone; one IMMEDIATE
    // transaction around all of them gives both the lock and all-or-nothing.
    async exclusively(migrate) {
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        await migrate();
        sqlite.exec("COMMIT");
      } catch (err) {
        sqlite.exec("ROLLBACK");
        throw err;
      }
    },
  };
}

/**
 * Kysely prepares every statement anew; preparing costs more than running a
 * small query, so statements are kept by their SQL text (the most recent 500).
 * Transactions begin IMMEDIATE: one that reads and then writes takes the
 * write lock first, waiting for another process's writes (busy_timeout),
 * instead of failing with "database is locked" when another process wrote
 * between its read and its write (SQLite cannot upgrade such a snapshot).
 */
function withStatementCache(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      const sql = text === "begin" ? "begin immediate" : text;
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= 500) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

export async function openStore(config: StoreConfig, seed: SeedSettings): Promise<Store> {
  const { db, wakeups, exclusively } = await connect(config);
  try {
    const migrator = new Migrator({ db, provider: migrationsFor(seed) });
    // Most opens find the schema current: they skip the lock, so processes never queue for it.
    const pending = (await migrator.getMigrations()).some((m) => m.executedAt === undefined);
    if (pending) await exclusively(() => migrate(migrator));
  } catch (err) {
    await db.destroy();
    throw new Error(`cannot open the store (${describeStore(config)}): ${(err as Error).message}`);
  }
  return {
    db,
    kind: config.kind,
    description: describeStore(config),
    wakeups,
    async close() {
      await wakeups.close();
      await db.destroy();
    },
  };
}

async function migrate(migrator: Migrator): Promise<void> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${(error as Error).message ?? error}`);
  }
}
