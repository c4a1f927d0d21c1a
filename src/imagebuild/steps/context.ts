// What every build step works with: the build directory and what it holds,
// the workspace it was called from, and the driver that does the work
// outside Node.
import { join } from "node:path";
import type { DetachedFiles } from "../../qemu/launch.js";
import type { BuildDir } from "../build-dir.js";
import type { BuildDriver } from "../driver.js";
import { type InstallParams, readInstallParams } from "../install-params.js";

/** Where build-dir-utils was called: windows-image-build.ini and ./resources/ are there. */
export interface Surroundings {
  workspace: string;
  env: Readonly<Record<string, string | undefined>>;
  driver: BuildDriver;
}

export interface StepContext extends Surroundings {
  /** The build directory. */
  dir: string;
  /** A path in the build directory. */
  file(name: string): string;
  /** Reads a one-line file of the build directory (LABEL, WINIMG, timestamp). */
  value(file: string): Promise<string>;
  /** Writes a one-line file of the build directory, whole. */
  write(file: string, value: string): Promise<void>;
  /** install-params/, as step 1 captured it. */
  params(): Promise<InstallParams>;
  /** The build's VM: its pid file, QMP socket and output. */
  vm: DetachedFiles;
  /** A line for the user and the build's log. */
  say(line: string): void;
}

export function buildVmFiles(dir: string): DetachedFiles {
  return { pidFile: join(dir, "kvm.pid"), qmpSocket: join(dir, "kvm.qmp"), log: join(dir, "kvm.log") };
}

export function stepContext(dir: BuildDir, say: (line: string) => void, around: Surroundings): StepContext {
  return {
    ...around,
    dir: dir.path,
    say,
    file: (name) => dir.file(name),
    write: (name, value) => dir.write(name, value),
    params: () => readInstallParams(dir.path),
    vm: buildVmFiles(dir.path),
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

/** "40% (0.8 of 2.0 GiB)" progress, every tenth (MiB below a GiB). */
export function progressReporter(what: string, say: (line: string) => void) {
  let shown = -1;
  return (done: number, total: number) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth > shown) {
      shown = tenth;
      const [unit, name] = total >= 2 ** 30 ? [2 ** 30, "GiB"] : [2 ** 20, "MiB"];
      say(`${what}: ${tenth * 10}% (${(done / unit).toFixed(1)} of ${(total / unit).toFixed(1)} ${name})`);
    }
  };
}
