// `HOST:PORT` listen addresses, and whether one is reachable only from this machine.
import { type Field, FieldError } from "./fields.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export const listenField: Field<ListenAddress> = {
  type: "host:port",
  allowed: "HOST:PORT, e.g. 127.0.0.1:9001",
  parse(raw) {
    const m = typeof raw === "string" ? /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw) : null;
    if (!m || Number(m[2]) > 65535)
      throw new FieldError(`'${String(raw)}' is not HOST:PORT, e.g. 127.0.0.1:9001`);
    return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  },
  show: ({ host, port }) => `${host.includes(":") ? `[${host}]` : host}:${port}`,
};

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
