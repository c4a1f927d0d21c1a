// The API server's options, the same for `dcmgr` and `wakame up` (declared
// apart from serve-api.ts, so that vdc-manage can check dcmgr.conf without
// loading the server).
import { intField } from "../model/fields.js";
import { listenField } from "../model/listen.js";

export const apiOptions = {
  listen: { field: listenField, desc: "address to listen on", default: { host: "127.0.0.1", port: 9001 } },
  delete_password_after_minutes: {
    field: intField({ min: 0 }),
    desc: "forget encrypted passwords this long after they are stored (0: keep them)",
    default: 0,
  },
};
