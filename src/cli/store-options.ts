// Where state lives, as options: dcmgr's and dcmgr.conf's (store-context.ts).
import { textField } from "../model/fields.js";

const path = textField({ max: 4096 });

export const storeOptions = {
  home: {
    field: path,
    desc: "the directory for state, the SQLite database among it (WAKAME_HOME, else ./var)",
  },
  database_url: {
    field: textField({ max: 4096 }),
    desc: "postgres://user:password@host:5432/db keeps state in PostgreSQL (DATABASE_URL, else SQLite)",
  },
  images_dir: {
    field: path,
    desc: "the images of backup storage bkst-local (WAKAME_IMAGES_DIR, else HOME/images)",
  },
};

export interface StoreSettings {
  home?: string;
  database_url?: string;
  images_dir?: string;
}

/** `env` with each given setting in place of its variable. */
export function withStoreSettings(s: StoreSettings, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  if (s.home !== undefined) out.WAKAME_HOME = s.home;
  if (s.database_url !== undefined) out.DATABASE_URL = s.database_url;
  if (s.images_dir !== undefined) out.WAKAME_IMAGES_DIR = s.images_dir;
  return out;
}
