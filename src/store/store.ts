// Opens the store: one query layer (Kysely) over SQLite or PostgreSQL, with
// the schema brought up to date and a fresh store seeded, on every open.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { describeStore, type StoreConfig } from "./config.js";
import { migrationsFor } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { SeedSettings } from "./seed.js";

export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreConfig["kind"];
  /** "SQLite /path" or "PostgreSQL host/db", for messages. */
  readonly description: string;
  close(): Promise<void>;
}

// PostgreSQL returns bigint columns as strings; our sizes fit a double exactly.
const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as never,
};

function connect(config: StoreConfig): Kysely<Database> {
  if (config.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: config.url, max: 10, types: pgTypes });
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  mkdirSync(dirname(config.file), { recursive: true });
  const sqlite = new SQLite(config.file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 10000");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

export async function openStore(config: StoreConfig, seed: SeedSettings): Promise<Store> {
  const db = connect(config);
  try {
    await migrate(db, seed);
  } catch (err) {
    await db.destroy();
    throw new Error(`cannot open the store (${describeStore(config)}): ${(err as Error).message}`);
  }
  return { db, kind: config.kind, description: describeStore(config), close: () => db.destroy() };
}

async function migrate(db: Kysely<Database>, seed: SeedSettings): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationsFor(seed) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${(error as Error).message ?? error}`);
  }
}
