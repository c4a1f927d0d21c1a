// Runs the package's commands as a user would, in a child process.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { repoRoot } from "./paths.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input = "",
  cwd = repoRoot,
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
    // A command may exit before reading its input; that is its answer, not a test failure.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

export function vdcManage(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return run(process.execPath, [resolve(repoRoot, "bin/vdc-manage.js"), ...args], env);
}

/** The environment without ISOnnnn and KEYnnnn, which a user's shell may have set. */
export const envWithoutWindowsKeys = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ISO|KEY)\d{4}$/.test(k)));

/** A seed-build command run in `workspace` (where windows-image-build.ini and resources/ are), with `env` added. */
function inWorkspace(
  bin: string,
  workspace: string,
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<CliResult> {
  return run(
    process.execPath,
    [resolve(repoRoot, bin), ...args],
    { ...envWithoutWindowsKeys(), ...env },
    "",
    workspace,
  );
}

export const buildDirUtils = (workspace: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
  inWorkspace("bin/build-dir-utils.js", workspace, env, args);

export const autoImageBuild = (workspace: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
  inWorkspace("bin/auto-windows-image-build.js", workspace, env, args);

/** The needle command, run in `cwd`. */
export function needleCli(cwd: string, ...args: string[]): Promise<CliResult> {
  return run(process.execPath, [resolve(repoRoot, "bin/needle.js"), ...args], process.env, "", cwd);
}

/**
 * One of the package's commands (bin/NAME.js) left running: its output as it
 * comes, its exit, and a wait for a line it says (its exit or `ms` of
 * silence on it fails the test).
 */
export function startCommand(name: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [resolve(repoRoot, "bin", `${name}.js`), ...args], { env });
  let said = "";
  child.stdout.on("data", (d) => {
    said += d;
  });
  child.stderr.on("data", (d) => {
    said += d;
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const saying = async (what: RegExp, ms = 30_000) => {
    for (const end = Date.now() + ms; !what.test(said); ) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`${name}: no ${what} in:\n${said}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, saying, output: () => said };
}
