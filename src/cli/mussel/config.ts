// Where mussel finds the API, as the original did: /etc/wakame-vdc/musselrc,
// then ~/.musselrc (KEY=VALUE lines; `#` comments; ${VAR} expands), then the
// environment, which wins.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface MusselConfig {
  baseUri: string;
  format: "yml" | "json";
  accountId: string;
  apiToken?: string;
  /** DCMGR_CA_FILE: a CA to trust for an https:// dcmgr, besides Node's own (a self-signed dcmgr's certificate). */
  caFile?: string;
}

export const rcFiles = () => ["/etc/wakame-vdc/musselrc", join(process.env.HOME ?? homedir(), ".musselrc")];

export function parseRc(text: string, vars: Record<string, string>): void {
  for (const raw of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw.replace(/\s+#.*$/, ""));
    if (!m || raw.trim().startsWith("#")) continue;
    let value = m[2]!.trim().replace(/^(['"])(.*)\1$/, "$2");
    value = value.replace(
      /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
      (_, name: string) => vars[name] ?? process.env[name] ?? "",
    );
    vars[m[1]!] = value;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): MusselConfig {
  const vars: Record<string, string> = {};
  for (const file of rcFiles()) {
    try {
      parseRc(readFileSync(file, "utf8"), vars);
    } catch {
      // A missing rc file is the usual case.
    }
  }
  const pick = (name: string) => env[name] ?? vars[name];
  const host = pick("DCMGR_HOST") ?? "127.0.0.1";
  const port = pick("DCMGR_PORT") ?? "9001";
  const scheme = pick("DCMGR_SCHEME") ?? "http";
  const version = pick("DCMGR_API_VERSION") ?? "12.03";
  const format = pick("DCMGR_RESPONSE_FORMAT") === "json" ? "json" : "yml";
  return {
    baseUri: pick("DCMGR_BASE_URI") ?? `${scheme}://${host}:${port}/api/${version}`,
    format,
    accountId: pick("account_id") ?? "a-shpoolxx",
    apiToken: pick("DCMGR_API_TOKEN"),
    caFile: pick("DCMGR_CA_FILE") || undefined,
  };
}
