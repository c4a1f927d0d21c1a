// A cold move's files between two host agents. The source packs what a
// halted instance is made of (InstanceFiles.carried) with GNU tar, holes
// kept, a manifest last (each file's size and sha256). The destination
// unpacks it into a staging directory, checks every file against the
// manifest (and that nothing else came: no link, no stray name), and answers
// on the same connection, "OK" or why not; only then does its agent put the
// files in place. A stream cut anywhere leaves nothing in place on either side.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { StallWatch } from "../../model/move-progress.js";

const manifestName = "move-manifest.json";
/** The longest answer line taken from the destination. */
const answerLimit = 4096;

interface ManifestEntry {
  /** Relative to the instance's directory, `/`-separated. */
  name: string;
  size: number;
  sha256: string;
}

/** Every regular file under `names` (files or directories) in `dir`, by relative name. */
async function filesUnder(dir: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const s = await lstat(join(dir, name));
    if (s.isDirectory()) {
      const inner = (await readdir(join(dir, name))).map((n) => `${name}/${n}`);
      found.push(...(await filesUnder(dir, inner)));
    } else if (s.isFile()) found.push(name);
    else throw new Error(`${name} is neither a file nor a directory: it is not carried`);
  }
  return found;
}

async function digest(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}

async function manifestOf(dir: string, names: readonly string[]): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for (const name of await filesUnder(dir, names)) entries.push({ name, ...(await digest(join(dir, name))) });
  return entries;
}

/** Runs tar, its stdin or stdout joined to `stream`; resolves when it exits well, else says what it said. */
function tar(args: string[], feed: (child: ReturnType<typeof spawn>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", args, { stdio: ["pipe", "pipe", "pipe"] });
    let said = "";
    child.stderr!.on("data", (d) => {
      said += d;
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`tar ${args[0]}: ${said.trim() || `exit ${code}`}`)),
    );
    feed(child);
  });
}

/** The first line `conn` says, or null if it closes first. */
function answerOf(conn: Socket): Promise<string | null> {
  return new Promise((resolve) => {
    let got = "";
    conn.setEncoding("utf8");
    conn.on("data", (d: string) => {
      got += d;
      const nl = got.indexOf("\n");
      if (nl >= 0) resolve(got.slice(0, nl));
      else if (got.length > answerLimit) resolve(got.slice(0, answerLimit));
    });
    conn.once("close", () => resolve(null));
    conn.once("error", () => resolve(null));
  });
}

/**
 * Sends `names` of `dir` to the destination through the local relay at
 * `socket`, and waits for its answer. `onProgress`: percent of the files'
 * allocated bytes sent.
 */
export async function sendFiles(o: {
  dir: string;
  names: readonly string[];
  socket: string;
  onProgress: (percent: number) => void;
  /** Nothing taken by the channel for this long: it is cut. */
  stallMs: number;
  /** How long the destination may take to check what came and answer. */
  answerMs: number;
}): Promise<void> {
  const entries = await manifestOf(o.dir, o.names);
  let allocated = 0;
  for (const e of entries) allocated += (await stat(join(o.dir, e.name))).blocks * 512;
  const manifest = join(o.dir, manifestName);
  await writeFile(manifest, JSON.stringify(entries));
  const conn = connect(o.socket);
  try {
    await new Promise<void>((resolve, reject) => {
      conn.once("connect", resolve);
      conn.once("error", reject);
    });
    const answer = answerOf(conn);
    let sent = 0;
    let cut = false;
    let stalled = false;
    // A dead link fills the socket's buffers: tar blocks, its output stops.
    const watch = new StallWatch(o.stallMs, Date.now());
    const watching = setInterval(() => {
      if (watch.stalled(sent, Date.now())) {
        stalled = true;
        conn.destroy();
      }
    }, 1000);
    await tar(["-c", "--sparse", "-C", o.dir, "--", ...o.names, manifestName], (child) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        sent += chunk.length;
        o.onProgress(Math.min(99, Math.floor((sent / Math.max(allocated, 1)) * 100)));
      });
      // Not ended: the destination's tar stops at the archive's own end, and the answer comes back on it.
      child.stdout!.pipe(conn, { end: false });
      // A channel cut leaves tar blocked on its output: it is ended with it.
      conn.once("close", () => {
        cut = child.exitCode === null;
        child.kill();
      });
    })
      .catch((err: Error) => {
        if (stalled)
          throw new Error(
            `nothing went to the destination for ${Math.round(o.stallMs / 1000)} s: the link between the hosts is down, or the destination stopped`,
          );
        throw cut ? new Error("the destination closed the channel while the files went") : err;
      })
      .finally(() => clearInterval(watching));
    let timer: NodeJS.Timeout | undefined;
    const said = await Promise.race([
      answer,
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${Math.round(o.answerMs / 1000)} s`), o.answerMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (said !== "OK")
      throw new Error(
        said ? `the destination: ${said}` : "the destination closed the channel without an answer",
      );
  } finally {
    conn.destroy();
    await rm(manifest, { force: true });
  }
}

/** Why what came into `staging` is not what the manifest says, or null. */
async function checkArrived(staging: string): Promise<{ problem: string } | { names: string[] }> {
  let entries: ManifestEntry[];
  try {
    entries = JSON.parse(await readFile(join(staging, manifestName), "utf8"));
  } catch {
    return { problem: "no manifest came: the stream was cut" };
  }
  let present: string[];
  try {
    present = (await filesUnder(staging, await readdir(staging))).filter((n) => n !== manifestName);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  const listed = new Set(entries.map((e) => e.name));
  const stray = present.find((n) => !listed.has(n));
  if (stray) return { problem: `${stray} came, not in the manifest` };
  for (const e of entries) {
    if (!present.includes(e.name)) return { problem: `${e.name} did not come` };
    const got = await digest(join(staging, e.name));
    if (got.size !== e.size || got.sha256 !== e.sha256)
      return { problem: `${e.name} came damaged (${got.size} bytes, ${e.size} sent)` };
  }
  return { names: [...new Set(entries.map((e) => e.name.split("/")[0]!))] };
}

export interface FilesReceiver {
  /** The top-level names that arrived whole in the staging directory. */
  arrived: Promise<string[]>;
  /** Stops listening and cuts a stream under way. */
  close(): Promise<void>;
}

/**
 * Listens at `socket` for one stream of files, unpacks it into `staging`
 * (made afresh) and checks it; answers the source. A second connection is
 * refused. `arrived` rejects with why it did not come whole.
 */
export async function receiveFiles(o: { socket: string; staging: string }): Promise<FilesReceiver> {
  await rm(o.staging, { recursive: true, force: true });
  await mkdir(o.staging, { recursive: true });
  await rm(o.socket, { force: true });
  let settle!: { resolve: (names: string[]) => void; reject: (err: Error) => void };
  const arrived = new Promise<string[]>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Nobody may be waiting yet; the agent reads it once ready is said.
  arrived.catch(() => {});
  let taken: Socket | null = null;
  const server = createServer((conn) => {
    if (taken) return conn.destroy();
    taken = conn;
    conn.on("error", () => {});
    void (async () => {
      try {
        await tar(["-x", "--no-same-owner", "--no-same-permissions", "-C", o.staging], (child) => {
          conn.pipe(child.stdin!);
          child.stdin!.on("error", () => {});
          // Cut without an end: tar learns it from its input's end.
          conn.once("close", () => child.stdin!.end());
        });
      } catch (err) {
        conn.destroy();
        return settle.reject(new Error(`the files did not come whole: ${(err as Error).message}`));
      }
      const checked = await checkArrived(o.staging);
      if ("problem" in checked) {
        conn.end(`FAILED ${checked.problem}\n`);
        return settle.reject(new Error(checked.problem));
      }
      conn.end("OK\n");
      settle.resolve(checked.names);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.socket, resolve);
  });
  return {
    arrived,
    close: () =>
      new Promise<void>((done) => {
        (taken as Socket | null)?.destroy();
        server.close(() => done());
      }),
  };
}
