// ./resources/: the files a build needs that we cannot ship (the Windows ISO,
// the virtio driver ISO, extra installers). Step 1 checks them, fetches the
// missing ones from the configured base URL (resuming a download that broke
// off), checks the md5 of those that resources/MD5SUMS lists, and names what
// is still missing with where to get it.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface Resource {
  file: string;
  /** What it is, and where a user gets it when no base URL has it. */
  what: string;
  whereToGet: string;
}

export const md5SumsFile = "MD5SUMS";

/** Progress of a download: bytes so far, and the total when the server says it. */
export type DownloadProgress = (done: number, total: number | undefined) => void;

/**
 * Fetches `url` into `dest`, through `dest.partial`: a partial file left by a
 * broken download is resumed with a Range request; a server that ignores the
 * range sends the whole file again.
 */
export async function download(url: string, dest: string, progress: DownloadProgress): Promise<void> {
  const partial = `${dest}.partial`;
  const have = existsSync(partial) ? (await stat(partial)).size : 0;
  const res = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {} });
  if (res.status === 416 && have > 0) {
    // The partial file is whole already.
    await rename(partial, dest);
    return;
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const resumed = res.status === 206;
  const start = resumed ? have : 0;
  const length = Number(res.headers.get("content-length") ?? Number.NaN);
  const total = Number.isFinite(length) ? start + length : undefined;
  let done = start;
  const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  body.on("data", (c: Buffer) => {
    done += c.length;
    progress(done, total);
  });
  await pipeline(body, createWriteStream(partial, { flags: resumed ? "a" : "w" }));
  if (total !== undefined && done !== total)
    throw new Error(`${url}: the download ended at ${done} of ${total} bytes`);
  await rename(partial, dest);
}

async function md5Of(file: string): Promise<string> {
  const hash = createHash("md5");
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  return hash.digest("hex");
}

/** md5sum lines of resources/MD5SUMS, by file name. */
async function knownMd5s(dir: string): Promise<Map<string, string>> {
  const text = await readFile(join(dir, md5SumsFile), "utf8").catch(() => "");
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{32}) [ *](.+)$/i.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  return sums;
}

/**
 * Makes sure every resource is in `dir`, fetching the missing ones from
 * `baseUrl` (when given). Throws one message listing every resource still
 * missing or wrong, with where to get it.
 */
export async function ensureResources(
  dir: string,
  needed: readonly Resource[],
  baseUrl: string,
  say: (line: string) => void,
): Promise<void> {
  const problems: string[] = [];
  for (const r of needed) {
    const path = join(dir, r.file);
    if (existsSync(path)) continue;
    if (!baseUrl) continue;
    const url = `${baseUrl.replace(/\/?$/, "/")}${encodeURIComponent(r.file)}`;
    say(`fetching ${r.file} from ${url}`);
    try {
      await download(url, path, downloadReporter(r.file, say));
    } catch (err) {
      problems.push(
        `${r.file}: the download failed (${(err as Error).message}); run the step again to resume it`,
      );
    }
  }
  const sums = await knownMd5s(dir);
  for (const r of needed) {
    const path = join(dir, r.file);
    if (!existsSync(path)) {
      if (!problems.some((p) => p.startsWith(`${r.file}:`))) {
        problems.push(`${r.file} is missing: ${r.what}; get it from ${r.whereToGet} and put it in ${dir}/`);
      }
      continue;
    }
    const want = sums.get(r.file);
    if (!want) continue;
    say(`checking the md5 of ${r.file}`);
    const got = await md5Of(path);
    if (got !== want) {
      problems.push(
        `${r.file} has md5 ${got}, but ${md5SumsFile} says ${want}: the file is damaged; remove it and fetch it again`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`resources are not ready:\n${problems.join("\n")}`);
  say(`resources ready in ${dir}: ${needed.map((r) => r.file).join(", ")}`);
}

/** "12 of 4700 MiB" every tenth of a download (or every 100 MiB when the size is unknown). */
function downloadReporter(what: string, say: (line: string) => void): DownloadProgress {
  let shown = -1;
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  return (done, total) => {
    const step = total ? Math.floor((done / total) * 10) : Math.floor(done / (100 * 2 ** 20));
    if (step <= shown) return;
    shown = step;
    say(total ? `${what}: ${step * 10}% (${mib(done)} of ${mib(total)} MiB)` : `${what}: ${mib(done)} MiB`);
  };
}
