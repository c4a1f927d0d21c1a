// Serving the API with the options of api-options.ts.
import { readFile } from "node:fs/promises";
import { type RunningApi, serveApi } from "../dcmgr/serve.js";
import type { ListenAddress } from "../model/listen.js";
import { defaultWindowsOptions } from "../model/windows-options.js";
import type { Store } from "../store/store.js";
import { UserError } from "./errors.js";

type ApiOptionValues = {
  listen?: ListenAddress;
  delete_password_after_minutes?: number;
  server_name?: string[];
  streams_per_account?: number;
  events_keep_days?: number;
  events_keep_per_instance?: number;
  tls_cert?: string;
  tls_key?: string;
  windows_firewall?: boolean;
  windows_auto_activate?: boolean;
  windows_kms_host?: string;
  windows_password_retries?: number;
  backup_storage?: string;
  /** How agents reach this dcmgr, when not at its listen address (serve.ts). */
  agentUrl?: string;
};

/** Serves the API over `store` with these options; a port that cannot be had is the command's refusal. */
export async function serveFromOptions(
  store: Store,
  o: ApiOptionValues,
  logger: boolean,
): Promise<RunningApi> {
  if (!o.tls_cert !== !o.tls_key)
    throw new UserError("--tls-cert and --tls-key go together: give both (HTTPS) or neither (HTTP)");
  const read = async (option: string, file: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`${option}: cannot read ${file}: ${err.code}`);
    });
  const tls =
    o.tls_cert && o.tls_key
      ? { cert: await read("--tls-cert", o.tls_cert), key: await read("--tls-key", o.tls_key) }
      : undefined;
  if (
    o.backup_storage &&
    !(await store.db
      .selectFrom("backup_storages")
      .select("id")
      .where("id", "=", o.backup_storage)
      .executeTakeFirst())
  )
    throw new UserError(
      `--backup-storage: ${o.backup_storage} is no backup storage: see vdc-manage backupstorage show, or add it with vdc-manage backupstorage add`,
    );
  return serveApi(store, {
    tls,
    listen: o.listen!,
    deletePasswordAfterMinutes: o.delete_password_after_minutes!,
    serverNames: o.server_name ?? [],
    streamsPerAccount: o.streams_per_account,
    eventRetention: {
      keepDays: o.events_keep_days ?? 90,
      keepPerInstance: o.events_keep_per_instance ?? 500,
    },
    logger,
    agentUrl: o.agentUrl,
    backupStorageId: o.backup_storage ?? null,
    windowsDefaults: {
      ...defaultWindowsOptions,
      windows_firewall: o.windows_firewall ?? defaultWindowsOptions.windows_firewall,
      auto_activate: o.windows_auto_activate ?? defaultWindowsOptions.auto_activate,
      kms_host: o.windows_kms_host ?? null,
      password_retries: o.windows_password_retries ?? defaultWindowsOptions.password_retries,
    },
  }).catch((err: Error) => {
    throw new UserError(err.message);
  });
}
