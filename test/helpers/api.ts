// A real dcmgr on a loopback port over a fresh store, and requests to it.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { hashToken } from "../../src/dcmgr/caller.js";
import { buildServer, type ServerOptions, startListening } from "../../src/dcmgr/server.js";
import type { Store } from "../../src/store/store.js";
import { run } from "./cli.js";
import { commandsOnPath, repoRoot } from "./paths.js";
import { type Backend, backupObjectRow, freshStore, imageRow, type TestStore } from "./stores.js";

export interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  body: any;
  contentType: string;
}

export interface RequestOptions {
  /** Sent form-encoded, as curl --data-urlencode does; lists as name[]=. */
  form?: Record<string, string | string[]>;
  json?: unknown;
  /** Raw body with its content type. */
  raw?: { type: string; body: string };
  account?: string | null;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  readonly t: TestStore;
  readonly store: Store;
  readonly app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** A user API call under /api/12.03, as account a-shpoolxx unless told otherwise. */
  req(method: string, path: string, opts?: RequestOptions): Promise<Answer>;
  /** A host agent's call under /api/agent/v1 with its host node's token. */
  agent(token: string, method: string, path: string, json?: unknown): Promise<Answer>;
  /** A host agent's report, made as the agent makes it: from the revision its GET /instances shows now. */
  report(
    token: string,
    id: string,
    what: "state" | "password",
    body: Record<string, unknown>,
  ): Promise<Answer>;
  /** Stops the server (its connections end), runs `downFor` meanwhile, and serves again on the same port. */
  restart(downFor: () => Promise<void>): Promise<void>;
  /** A token for an account or a host node, stored as vdc-manage token add stores it. */
  token(kind: "account" | "host_node", subject: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApi(backend: Backend, options: Partial<ServerOptions> = {}): Promise<TestApi> {
  const t = await freshStore(backend);
  // The seed document's registration: host hn-demo1, image wmi-windows2008r2 (windows, virtio).
  const bin = commandsOnPath();
  const seeded = await run("bash", [join(repoRoot, "test/fixtures/seed-registration.sh")], {
    ...t.env,
    PATH: `${bin}:${process.env.PATH}`,
  });
  if (seeded.code !== 0) throw new Error(`seed registration failed: ${seeded.stderr}`);
  const store = await t.open();
  const serve = async (port: number) => {
    const server = await buildServer(store, {
      requireTokens: false,
      passwords: { deleteAfterMinutes: 0 },
      ...options,
    });
    await startListening(server, store, { host: "127.0.0.1", port });
    return server;
  };
  let app = await serve(0);
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;

  async function send(url: string, method: string, opts: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.account !== null) headers["X-VDC-Account-ID"] = opts.account ?? "a-shpoolxx";
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.form)) {
        if (Array.isArray(v)) for (const x of v) p.append(`${k}[]`, x);
        else p.append(k, v);
      }
      body = p.toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["Content-Type"] = "application/json";
    } else if (opts.raw) {
      body = opts.raw.body;
      headers["Content-Type"] = opts.raw.type;
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // YAML or empty: the text is the answer.
    }
    return { status: res.status, text, body: parsed, contentType: res.headers.get("content-type") ?? "" };
  }

  return {
    t,
    store,
    get app() {
      return app;
    },
    origin,
    async restart(downFor) {
      await app.close();
      await downFor();
      app = await serve(port);
    },
    req: (method, path, opts) => send(`${origin}/api/12.03${path}`, method, opts),
    agent: (token, method, path, json) =>
      send(`${origin}/api/agent/v1${path}`, method, { account: null, token, json }),
    async report(token, id, what, body) {
      const listed = await send(`${origin}/api/agent/v1/instances`, "GET", { account: null, token });
      const seen = (listed.body as { id: string; revision: number }[]).find((w) => w.id === id);
      if (!seen) throw new Error(`${id} is not in its agent's GET /instances: ${listed.text}`);
      return send(`${origin}/api/agent/v1/instances/${id}/${what}`, "PUT", {
        account: null,
        token,
        json: { revision: seen.revision, ...body },
      });
    },
    async token(kind, subject) {
      const token = randomBytes(18).toString("base64url");
      await store.db
        .insertInto("api_tokens")
        .values({
          token_hash: hashToken(token),
          kind,
          subject_id: subject,
          description: null,
          created_at: new Date().toISOString(),
        })
        .execute();
      return token;
    },
    async close() {
      await app.close();
      await store.close();
      await t.dispose();
    },
  };
}

export async function addAccount(store: Store, id: string): Promise<void> {
  const stamp = new Date().toISOString();
  await store.db
    .insertInto("accounts")
    .values({ id, display_name: id, created_at: stamp, updated_at: stamp })
    .execute();
}

/** A second host node, as vdc-manage host add would register it. */
export async function addHostNode(
  store: Store,
  id: string,
  nodeId: string,
  schedulingEnabled = false,
): Promise<void> {
  const stamp = new Date().toISOString();
  await store.db
    .insertInto("host_nodes")
    .values({
      id,
      node_id: nodeId,
      display_name: null,
      offering_cpu_cores: 1,
      offering_memory_size: 1,
      offering_disk_space_mb: 0,
      hypervisor: "kvm",
      arch: "x86_64",
      scheduling_enabled: schedulingEnabled ? 1 : 0,
      created_at: stamp,
      updated_at: stamp,
    })
    .execute();
}

/** Launches `image` as kvm.small (with the ssh key, if given), as a user does: the instance's id. */
export async function launchInstance(api: TestApi, image: string, sshKeyId?: string): Promise<string> {
  const r = await api.req("POST", "/instances.json", {
    form: { image_id: image, instance_spec_name: "kvm.small", ...(sshKeyId && { ssh_key_id: sshKeyId }) },
  });
  assert.equal(r.status, 200, r.text);
  return r.body.id;
}

/** A user's request that must be taken. */
export async function userRequest(
  api: TestApi,
  method: string,
  path: string,
  form: Record<string, string> = {},
) {
  const r = await api.req(method, path, { form });
  assert.equal(r.status, 200, `${method} ${path}: ${r.text}`);
}

/** A blank disk of `bytes` in the seeded local backup storage (bkst-local), registered as backup object `id`. */
export async function blankBackupObject(api: TestApi, id: string, bytes: number): Promise<void> {
  const disk = Buffer.alloc(bytes);
  const objectKey = `${id}.raw`;
  mkdirSync(join(api.t.home, "images"), { recursive: true });
  writeFileSync(join(api.t.home, "images", objectKey), disk);
  const checksum = createHash("md5").update(disk).digest("hex");
  await api.store.db
    .insertInto("backup_objects")
    .values(backupObjectRow({ id, object_key: objectKey, size: bytes, checksum }))
    .execute();
}

/**
 * The seed's store as the Windows launch tests need it: hn-demo1's agent
 * token, the caller's RSA key (from `publicKeyFile`) and wmi-linux, a public
 * Linux image beside the seed's Windows one.
 */
export async function startWindowsApi(backend: Backend, publicKeyFile: string) {
  const api = await startApi(backend);
  const agentToken = await api.token("host_node", "hn-demo1");
  const key = await api.req("POST", "/ssh_key_pairs.json", {
    form: { public_key: readFileSync(publicKeyFile, "utf8") },
  });
  assert.equal(key.status, 200, key.text);
  await api.store.db
    .insertInto("images")
    .values(imageRow({ id: "wmi-linux", backup_object_id: "bo-windows2008r2", is_public: 1 }))
    .execute();
  return { api, agentToken, keyId: key.body.id as string };
}
