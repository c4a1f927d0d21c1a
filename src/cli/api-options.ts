// The API server's options, the same for `dcmgr` and `wakame up` (declared
// apart from serve-api.ts, so that vdc-manage can check dcmgr.conf without
// loading the server).
import { type Field, flagField, intField, textField, uuidField } from "../model/fields.js";
import { listenField } from "../model/listen.js";
import { defaultWindowsOptions, kmsHostField, passwordRetriesField } from "../model/windows-options.js";

/** Host names, comma-separated. */
const serverNamesField: Field<string[]> = {
  type: "name,...",
  allowed: "host names, comma-separated",
  parse(raw) {
    const names = textField({
      max: 1024,
      pattern: /^[A-Za-z0-9.-]+(,[A-Za-z0-9.-]+)*$/,
      patternWords: "host names, comma-separated (dcmgr.example.com,cloud.example.com)",
    }).parse(raw);
    return names.split(",");
  },
  show: (names) => names.join(","),
};

export const apiOptions = {
  listen: { field: listenField, desc: "address to listen on", default: { host: "127.0.0.1", port: 9001 } },
  delete_password_after_minutes: {
    field: intField({ min: 0 }),
    desc: "forget encrypted passwords this long after they are stored (0: keep them)",
    default: 0,
  },
  streams_per_account: {
    field: intField({ min: 1 }),
    desc: "live streams (event feeds, consoles) one account may have open at once on this dcmgr",
    default: 20,
  },
  events_keep_days: {
    field: intField({ min: 1 }),
    desc: "instances' state history (the live feed's catch-up) is kept this many days",
    default: 90,
  },
  events_keep_per_instance: {
    field: intField({ min: 10 }),
    desc: "and at most this many changes of each instance, the newest",
    default: 500,
  },
  // Defaults of a Windows launch's options (windows-options.ts); a launch's own parameters override them.
  windows_firewall: {
    field: flagField,
    desc: "Windows instances: the guest's firewall on (RDP let in) unless a launch says otherwise",
    default: defaultWindowsOptions.windows_firewall,
  },
  windows_auto_activate: {
    field: flagField,
    desc: "Windows instances: activate at first boot unless a launch says otherwise",
    default: defaultWindowsOptions.auto_activate,
  },
  windows_kms_host: {
    field: kmsHostField,
    desc: "Windows instances: the KMS host:port activation goes to unless a launch names another",
  },
  windows_password_retries: {
    field: passwordRetriesField,
    desc: "Windows instances: tries at setting the first password unless a launch says",
    default: defaultWindowsOptions.password_retries,
  },
  backup_storage: {
    field: uuidField("backupStorage"),
    desc: "where instance backups are written (vdc-manage backupstorage); default: the storage of the instance's own image",
  },
  server_name: {
    field: serverNamesField,
    desc: "names users and agents reach this dcmgr by, besides localhost and IP addresses (requests to other names are refused: DNS rebinding)",
    default: [] as string[],
  },
};
