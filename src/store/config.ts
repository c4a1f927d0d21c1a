// Where state lives, from the environment (spec README, "Conventions").
import { resolve } from "node:path";

export type StoreConfig = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

/** `WAKAME_HOME`, the directory for all state; `./var` by default. Always absolute. */
export function wakameHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.WAKAME_HOME || "var");
}

/** The directory behind the seeded backup storage `bkst-local`. */
export function imagesDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.WAKAME_IMAGES_DIR || resolve(wakameHome(env), "images"));
}

export function storeConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const url = env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(
        `DATABASE_URL '${url}' is not a PostgreSQL URL: use postgres://user:password@host:5432/dbname, or unset it to use SQLite`,
      );
    }
    return { kind: "postgres", url };
  }
  return { kind: "sqlite", file: resolve(wakameHome(env), "wakame.sqlite3") };
}

/** The store's location in words, without the password. */
export function describeStore(config: StoreConfig): string {
  if (config.kind === "sqlite") return `SQLite ${config.file}`;
  const url = new URL(config.url);
  return `PostgreSQL ${url.host}${url.pathname}`;
}
