// What the seed-build commands (build-dir-utils, auto-windows-image-build)
// share: they work where they are run (windows-image-build.ini and
// ./resources/ are there), print their lines, and a build's refusal is the
// user's error.
import { BuildDirError } from "../imagebuild/build-dir.js";
import { hostDriver } from "../imagebuild/host-driver.js";
import type { Surroundings } from "../imagebuild/steps/context.js";
import { UserError } from "./errors.js";

export const workspaceSurroundings = (): Surroundings => ({
  workspace: process.cwd(),
  env: process.env,
  driver: hostDriver(),
});

export const printLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function refusalsToUser(err: Error): never {
  throw err instanceof BuildDirError ? new UserError(err.message) : err;
}
