// Opening the store, for every command that needs it. Where state lives comes
// from the command's options (dcmgr's --home, --database-url, --images-dir,
// or the same names in dcmgr.conf), else from the environment (spec README,
// "Conventions"). vdc-manage has no such options: it reads the dcmgr.conf
// that WAKAME_CONFIG names (the package's /usr/bin/vdc-manage names
// /etc/wakame-vdc/dcmgr.conf), so it works on the service's store.
import { imagesDir, storeConfig, wakameHome } from "../store/config.js";
import { keepPrivate } from "../store/private-home.js";
import { openStore, type Store } from "../store/store.js";
import { readConfigFile } from "./config-file.js";
import { dcmgrConfigFile } from "./dcmgr/options.js";
import { UserError } from "./errors.js";
import { type StoreSettings, withStoreSettings } from "./store-options.js";

export async function openStoreWith(s: StoreSettings): Promise<Store> {
  const env = withStoreSettings(s);
  let config: ReturnType<typeof storeConfig>;
  try {
    config = storeConfig(env);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  keepPrivate(wakameHome(env));
  return openStore(config, { imagesDir: imagesDir(env) });
}

/** The store of the dcmgr.conf named by WAKAME_CONFIG, else of the environment. */
export async function openStoreFromEnv(): Promise<Store> {
  const file = process.env.WAKAME_CONFIG;
  if (!file) return openStoreWith({});
  const settings = await readConfigFile(file, dcmgrConfigFile);
  return openStoreWith({
    home: settings.get("home"),
    database_url: settings.get("database-url"),
    images_dir: settings.get("images-dir"),
  });
}
