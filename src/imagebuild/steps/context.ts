// What every build step works with: the build directory and what it holds.
import type { BuildDir } from "../build-dir.js";

export interface StepContext {
  /** The build directory. */
  dir: string;
  /** Reads a one-line file of the build directory (LABEL, WINIMG, timestamp). */
  value(file: string): Promise<string>;
  /** A line for the user and the build's log. */
  say(line: string): void;
}

export function stepContext(dir: BuildDir, say: (line: string) => void): StepContext {
  return {
    dir: dir.path,
    say,
    async value(file) {
      const value = await dir.value(file);
      if (!value) {
        throw new Error(
          `${dir.file(file)} is missing: the build directory needs LABEL, WINIMG and timestamp (see 0-init)`,
        );
      }
      return value;
    },
  };
}

/** "12.3 of 30.0 GiB" progress, every tenth. */
export function progressReporter(what: string, say: (line: string) => void) {
  let shown = -1;
  return (done: number, total: number) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth > shown) {
      shown = tenth;
      say(`${what}: ${tenth * 10}% (${(done / 2 ** 30).toFixed(1)} of ${(total / 2 ** 30).toFixed(1)} GiB)`);
    }
  };
}
