// A build directory: everything a seed-image build knows (image-build.md,
// "Build directory"), so that a build survives a crash or a week away. Small
// files are replaced whole (temp file + rename); a lock keeps a second call
// off a directory that a first is working on; every call is logged.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { appendFile, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export class BuildDirError extends Error {}

export class BuildDir {
  constructor(readonly path: string) {}

  file(name: string): string {
    return join(this.path, name);
  }

  async value(name: string): Promise<string | undefined> {
    try {
      return (await readFile(this.file(name), "utf8")).trim();
    } catch {
      return undefined;
    }
  }

  async write(name: string, value: string): Promise<void> {
    const temp = this.file(`.${name}.${process.pid}`);
    await writeFile(temp, `${value}\n`);
    await rename(temp, this.file(name));
  }

  /**
   * Takes the directory's lock, or refuses when a live process holds it. A
   * lock left by a process that died is taken over.
   */
  lock(): () => Promise<void> {
    const lockFile = this.file("lock");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lockFile, "wx");
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return () => rm(lockFile, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const holder = Number(readFileSync(lockFile, "utf8"));
        if (holder && existsSync(`/proc/${holder}`)) {
          throw new BuildDirError(
            `another build-dir-utils (pid ${holder}) is working on ${this.path}: wait for it, or stop it first`,
          );
        }
        // Left by a process that is gone.
        rmSync(lockFile, { force: true });
      }
    }
    throw new BuildDirError(`cannot take the lock ${lockFile}`);
  }

  /** Appends one call's record to the build's formatted log. */
  async log(what: string, lines: readonly string[], result: string): Promise<void> {
    const stamp = new Date().toISOString().replace("T", " ").slice(0, 19);
    const body = lines.map((l) => `    ${l}\n`).join("");
    await appendFile(this.file("log"), `=== ${stamp} ${what}\n${body}--- ${result}\n\n`);
  }
}
