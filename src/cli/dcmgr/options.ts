// dcmgr's options, and so what /etc/wakame-vdc/dcmgr.conf may hold; here
// apart from the server, for vdc-manage reads that file too.
import { textField } from "../../model/fields.js";
import { apiOptions } from "../api-options.js";
import type { ConfigFileSpec } from "../config-file.js";
import { storeOptions } from "../store-options.js";

export const dcmgrOptions = {
  ...apiOptions,
  ...storeOptions,
  tls_cert: {
    field: textField({ max: 4096 }),
    desc: "serve HTTPS with this certificate (PEM; with --tls-key): tokens do not cross the network in clear",
  },
  tls_key: { field: textField({ max: 4096 }), desc: "the certificate's private key (PEM)" },
  config: { field: textField({ max: 4096 }), desc: "a file of options, one 'name = value' per line" },
};

export const dcmgrConfigFile: ConfigFileSpec = {
  known: Object.keys(dcmgrOptions),
  path: "/etc/wakame-vdc/dcmgr.conf",
  example: "listen = 0.0.0.0:9001",
};
