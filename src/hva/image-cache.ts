// The host's image cache: each backup object fetched once from its storage
// (a local directory or a web server), its md5 checked while it streams,
// unpacked by container format into a sparse file, and moved into place
// whole. A mismatch leaves nothing behind; concurrent launches of one image
// share one fetch.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { openStoredObject } from "../backup-storage/stored-objects.js";
import type { WantedBackupObject } from "../model/agent-contract.js";

/** What the cache needs of a backup object: where it is (model/object-key.ts), how it is packed, its md5, its stored size (for progress; 0 when unknown). */
export type BackupObjectSource = Pick<
  WantedBackupObject,
  "id" | "storage_uri" | "object_key" | "container_format" | "checksum" | "allocation_size"
>;

export class ChecksumMismatch extends Error {}

export class ImageCache {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Where the unpacked image of this backup object lives in the cache. */
  pathOf(bo: BackupObjectSource): string {
    return join(this.dir, `${bo.id}-${bo.checksum}.img`);
  }

  /** A UEFI image's variable store (boot entries, keys), kept beside it when its container holds one (a backup's does). */
  efiVarsOf(bo: BackupObjectSource): string | null {
    const path = this.efiVarsPath(bo);
    return existsSync(path) ? path : null;
  }

  private efiVarsPath(bo: BackupObjectSource): string {
    return join(this.dir, `${bo.id}-${bo.checksum}.${efiVarsName}`);
  }

  /** The unpacked image, fetched first if the cache does not have it. */
  async get(bo: BackupObjectSource): Promise<string> {
    const final = this.pathOf(bo);
    if (existsSync(final)) return final;
    let fetching = this.inFlight.get(final);
    if (!fetching) {
      fetching = this.fetch(bo, final).finally(() => this.inFlight.delete(final));
      this.inFlight.set(final, fetching);
    }
    return fetching;
  }

  private async fetch(bo: BackupObjectSource, final: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const work = await mkdtemp(join(this.dir, `.fetch-${bo.id}-`));
    try {
      const md5 = createHash("md5");
      let seen = 0;
      let reported = -1;
      const started = Date.now();
      const meter = new Transform({
        transform: (chunk: Buffer, _enc, done) => {
          md5.update(chunk);
          seen += chunk.length;
          const pct = bo.allocation_size ? Math.floor((seen / bo.allocation_size) * 10) * 10 : -1;
          if (pct > reported) {
            reported = pct;
            this.log(`fetching ${bo.id}: ${pct}% (${mib(seen)} of ${mib(bo.allocation_size)} MiB)`);
          }
          done(null, chunk);
        },
      });
      // dcmgr's word is not enough: a key that leads out of its storage is refused there.
      await pipeline([
        await openStoredObject(bo.storage_uri, bo.object_key),
        meter,
        ...unpackStages(bo.container_format, work),
      ]);
      const sum = md5.digest("hex");
      if (sum !== bo.checksum) {
        throw new ChecksumMismatch(
          `image checksum mismatch for ${bo.id}: expected ${bo.checksum}, got ${sum}`,
        );
      }
      const { image, efiVars } = await containedFiles(work, bo);
      // The image last: its being there says the whole entry is.
      if (efiVars) await rename(efiVars, this.efiVarsPath(bo));
      await rename(image, final);
      this.log(`fetched ${bo.id}: ${mib(seen)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return final;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** Where the stream goes, by container format: GNU tar keeps a tar's sparse file sparse. */
function unpackStages(
  format: BackupObjectSource["container_format"],
  work: string,
): (Transform | Writable)[] {
  if (format === "tgz" || format === "tar") return [tarExtractor(work, format === "tgz")];
  const sink = sparseFileWriter(join(work, "image"));
  return format === "gz" ? [createGunzip(), sink] : [sink];
}

function tarExtractor(work: string, gzip: boolean): Writable {
  // Its owner's only, whatever the archive says (private-home.ts).
  const tar = spawn(
    "tar",
    ["-x", ...(gzip ? ["-z"] : []), "-S", "--no-same-owner", "--no-same-permissions", "-C", work, "-f", "-"],
    {
      stdio: ["pipe", "ignore", "pipe"],
    },
  );
  let stderr = "";
  tar.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve, reject) =>
    tar.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`tar could not unpack the image: ${stderr.trim()}`)),
    ),
  );
  return new Writable({
    write(chunk, _enc, done) {
      if (tar.stdin.write(chunk)) done();
      else tar.stdin.once("drain", () => done());
    },
    final(done) {
      tar.stdin.end();
      exited.then(() => done(), done);
    },
    destroy(err, done) {
      tar.kill();
      done(err);
    },
  });
}

/** Writes blocks that hold data and seeks over zero blocks, so a mostly empty disk stays sparse. */
function sparseFileWriter(file: string): Writable {
  const block = 64 * 1024;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let position = 0;
  let pending = Buffer.alloc(0);
  const flush = async (all: boolean) => {
    handle ??= await open(file, "w");
    while (pending.length >= block || (all && pending.length > 0)) {
      const chunk = pending.subarray(0, Math.min(block, pending.length));
      if (chunk.some((b) => b !== 0)) await handle.write(chunk, 0, chunk.length, position);
      position += chunk.length;
      pending = pending.subarray(chunk.length);
    }
  };
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending = Buffer.concat([pending, chunk]);
      flush(false).then(() => done(), done);
    },
    final(done) {
      flush(true)
        .then(async () => {
          handle ??= await open(file, "w");
          await handle.truncate(position);
          await handle.close();
        })
        .then(() => done(), done);
    },
  });
}

/** The name of a UEFI image's variable store beside its disk in a container (backups write it). */
export const efiVarsName = "efivars.fd";

/** A container holds exactly one image file, and beside it at most a UEFI variable store. */
async function containedFiles(work: string, bo: BackupObjectSource) {
  const found: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) found.push(p);
    }
  };
  await walk(work);
  const efiVars = found.filter((f) => basename(f) === efiVarsName);
  const images = found.filter((f) => basename(f) !== efiVarsName);
  if (images.length !== 1 || efiVars.length > 1) {
    throw new Error(
      `${bo.id} (${bo.container_format}) holds ${images.length} image files${efiVars.length ? ` and ${efiVars.length} ${efiVarsName}` : ""}; an image container holds exactly one, and at most one ${efiVarsName}`,
    );
  }
  await stat(images[0]!);
  return { image: images[0]!, efiVars: efiVars[0] ?? null };
}
