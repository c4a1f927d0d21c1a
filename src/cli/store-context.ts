// Opening the store from the environment, for every command that needs it.
import { imagesDir, storeConfig } from "../store/config.js";
import { openStore, type Store } from "../store/store.js";
import { UserError } from "./errors.js";

export async function openStoreFromEnv(): Promise<Store> {
  let config: ReturnType<typeof storeConfig>;
  try {
    config = storeConfig();
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  return openStore(config, { imagesDir: imagesDir() });
}
