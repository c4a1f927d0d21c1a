// What `build-dir-utils BUILDDIR STEP|FLAG` does with one call: 0-init, the
// next step (-do-next, -next), a manual step confirmed (-done), -status, and
// the original's utility flags for the build's VM. A step that fails leaves
// `nextstep` where it was, so the same command can be run again; every call
// is recorded in the build's log.
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { reportFile } from "./auto/report.js";
import { BuildDir, BuildDirError } from "./build-dir.js";
import { installParamsDir } from "./install-params.js";
import { screenshotsDir, stepScreenshot } from "./step-screenshots.js";
import { vncPasswordFile } from "./steps/3-boot-with-install-iso-and-floppy.js";
import { gen0Password } from "./steps/1001-first-boot-test.js";
import { buildVmFiles, type StepContext, type Surroundings, stepContext } from "./steps/context.js";
import { buildSteps, firstTestStep, type Step } from "./steps.js";
import { versionName, type WindowsVersion, windowsVersions } from "./windows-versions.js";

export type Out = (line: string) => void;

/** yymmdd-HHMMSS, as the original's timestamp file. */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getFullYear() % 100)}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The original's utility commands, for the build's VM. */
const utilities: Record<string, (ctx: StepContext) => Promise<void>> = {
  async "-screendump"(ctx) {
    if (!(await ctx.driver.vmPid(ctx.vm)))
      throw new BuildDirError("the build's VM is not running: no screen to take");
    await mkdir(ctx.file(screenshotsDir), { recursive: true });
    const name = `${screenshotsDir}/screen-${timestamp(new Date())}.png`;
    await ctx.driver.screendump(ctx.vm, ctx.file(name));
    ctx.say(name);
  },
  async "-pw"(ctx) {
    ctx.say(await gen0Password(ctx));
  },
  async "-kill-kvm"(ctx) {
    const pid = await ctx.driver.vmPid(ctx.vm);
    if (!pid) return ctx.say("KVM already stopped.");
    ctx.say(`Terminating KVM instance pid=${pid}`);
    await ctx.driver.stopVm(ctx.vm, "SIGTERM");
  },
  async "-cleanup"(ctx) {
    const stopped = await ctx.driver.stopVm(ctx.vm, "SIGTERM");
    // A VM that ignored SIGTERM for the 5 s stopVm waits is killed.
    if (await ctx.driver.vmPid(ctx.vm)) await ctx.driver.stopVm(ctx.vm, "SIGKILL");
    ctx.say(stopped ? "the build's VM is stopped" : "no VM was running");
    await ctx.driver.unmountLeftovers(ctx.dir);
  },
};

export async function buildDirUtils(
  path: string,
  word: string,
  args: readonly string[],
  out: Out,
  around: Surroundings,
): Promise<void> {
  // Absolute: QEMU and qemu-img keep the paths they are given, and a build
  // may be resumed from another directory.
  const dir = new BuildDir(resolve(path));
  if (word === "0-init") return init(dir, args[0], out);
  if (args.length > 0)
    throw new BuildDirError(`${word} takes no more words: only 0-init takes one (the version)`);
  if (!existsSync(dir.file("nextstep")))
    throw new BuildDirError(
      `${path} is not a build directory: start one with 'build-dir-utils ${path} 0-init 2012'`,
    );
  const release = dir.lock();
  try {
    await runWord(dir, word, out, around);
  } finally {
    await release();
  }
}

/** What one call does with `word`, the directory's lock held (the automatic build holds it throughout). */
export async function runWord(dir: BuildDir, word: string, out: Out, around: Surroundings): Promise<void> {
  try {
    await dispatch(dir, word, out, around);
  } catch (err) {
    // Every call is in the log: a refusal too, with its reason.
    if (!(err instanceof LoggedError)) await dir.log(word, [], `refused: ${(err as Error).message}`);
    throw err;
  }
}

/** A failure already written to the build's log. */
export class LoggedError extends BuildDirError {}

async function dispatch(dir: BuildDir, word: string, out: Out, around: Surroundings): Promise<void> {
  const steps = await stepsOf(dir);
  if (word === "-status") {
    await status(dir, steps, out, around);
    return await dir.log(word, [], "ok");
  }
  const utility = utilities[word];
  if (utility) {
    await runLogged(dir, word, out, around, utility).catch((err: Error) => {
      throw new LoggedError(err.cause instanceof BuildDirError ? err.message : `${word}: ${err.message}`);
    });
    return;
  }
  const nextName = (await dir.value("nextstep")) ?? "";
  if (nextName === "finished")
    throw new BuildDirError("the build is finished: every step is done (see -status)");
  const next = steps.find((s) => s.name === nextName);
  if (!next) throw new BuildDirError(`nextstep names no step: ${nextName}`);
  if (word === "-do-next" || word === "-next") return await runStep(dir, steps, next, out, around);
  if (word === "-done") return await confirm(dir, steps, next, out, around);
  const named = steps.find((s) => s.name === word);
  if (!named) {
    throw new BuildDirError(
      `unknown step or flag '${word}': use -do-next, -done, -status, ${Object.keys(utilities).join(", ")}, or the next step's name (${next.name})`,
    );
  }
  if (named !== next) throw new BuildDirError(`the next step is ${next.name}, not ${word} (see -status)`);
  return await (next.kind === "manual"
    ? confirm(dir, steps, next, out, around)
    : runStep(dir, steps, next, out, around));
}

/** The build's steps: the extra installers' steps come from install-params/ once step 1 has run. */
export async function stepsOf(dir: BuildDir): Promise<Step[]> {
  const file = join(dir.path, installParamsDir, "EXTRA_INSTALLERS");
  const installers = existsSync(file) ? (await readFile(file, "utf8")).split("\n").filter(Boolean) : [];
  return buildSteps(installers);
}

async function init(dir: BuildDir, version: string | undefined, out: Out): Promise<void> {
  if (!version || !(windowsVersions as readonly string[]).includes(version)) {
    throw new BuildDirError(`0-init needs the Windows version: one of ${windowsVersions.join(", ")}`);
  }
  if (existsSync(dir.path) && readdirSync(dir.path).length > 0) {
    throw new BuildDirError(`${dir.path} is not empty: 0-init starts a build in a new or empty directory`);
  }
  const first = buildSteps()[0]!;
  await mkdir(dir.path, { recursive: true });
  await dir.write("LABEL", version);
  await dir.write("WINIMG", `win-${version}.raw`);
  await dir.write("timestamp", timestamp(new Date()));
  await dir.write("nextstep", first.name);
  const lines = [`started a ${versionName(version as WindowsVersion)} build in ${dir.path}`];
  await dir.log("0-init", lines, "ok");
  for (const l of [...lines, ...nextLines(first)]) out(l);
}

function nextLines(step: Step | undefined): string[] {
  return step ? [step.instructions, `./nextstep is now ${step.name}`] : ["The build is finished."];
}

/** Runs `work` with a context whose lines go to the user and the build's log. */
async function runLogged(
  dir: BuildDir,
  what: string,
  out: Out,
  around: Surroundings,
  work: (ctx: StepContext) => Promise<void>,
): Promise<string[]> {
  const said: string[] = [];
  const say = (line: string) => {
    said.push(line);
    out(line);
  };
  try {
    await work(stepContext(dir, say, around));
  } catch (err) {
    await dir.log(what, said, `failed: ${(err as Error).message}`);
    throw new LoggedError((err as Error).message, { cause: err });
  }
  if (what.startsWith("-")) await dir.log(what, said, "ok");
  return said;
}

async function runStep(
  dir: BuildDir,
  steps: Step[],
  step: Step,
  out: Out,
  around: Surroundings,
): Promise<void> {
  if (step.kind === "manual" || !step.run) {
    throw new BuildDirError(
      `${step.name} is a manual step: ${step.instructions.replace(/, then -done\.$/, "")}; then use -done`,
    );
  }
  const run = step.run;
  const said = await runLogged(dir, step.name, out, around, run).catch((err: Error) => {
    throw new LoggedError(`${step.name} failed: ${err.message}\nnextstep is still ${step.name}`);
  });
  await advance(dir, steps, step, said, out);
}

async function confirm(
  dir: BuildDir,
  steps: Step[],
  step: Step,
  out: Out,
  around: Surroundings,
): Promise<void> {
  if (step.kind === "auto")
    throw new BuildDirError(`${step.name} is automatic: run it with -do-next, not -done`);
  const recorded = await recordScreen(dir, step, around);
  out(recorded);
  await advance(dir, steps, step, [`confirmed ${step.name}`, recorded], out);
}

/**
 * Record mode: the screen a user confirmed a manual step on, kept as that
 * step's screenshot, from which `needle new --from-build` makes a needle.
 */
async function recordScreen(dir: BuildDir, step: Step, around: Surroundings): Promise<string> {
  const vm = buildVmFiles(dir.path);
  if (!(await around.driver.vmPid(vm))) return "no screen recorded: the build's VM is not running";
  const shot = stepScreenshot(dir.path, step.name);
  await mkdir(dir.file(screenshotsDir), { recursive: true });
  try {
    await around.driver.screendump(vm, shot);
  } catch (err) {
    return `no screen recorded: ${(err as Error).message}`;
  }
  return `screen recorded: ${screenshotsDir}/${step.name}.png (make a needle of it with 'needle new --from-build ${dir.path} ${step.name.split("-")[0]} --area X,Y,W,H --tag TAG -o NAME')`;
}

async function advance(dir: BuildDir, steps: Step[], step: Step, said: string[], out: Out): Promise<void> {
  const following = steps[steps.indexOf(step) + 1];
  await dir.write("nextstep", following?.name ?? "finished");
  await dir.log(step.name, said, "ok");
  for (const l of nextLines(following)) out(l);
}

/** The newest PNG under screenshots/, as a path in the build directory. */
function lastScreenshot(dir: BuildDir): string | undefined {
  const shots = join(dir.path, screenshotsDir);
  if (!existsSync(shots)) return undefined;
  const newest = readdirSync(shots)
    .filter((f) => f.endsWith(".png"))
    .map((f) => ({ f, t: statSync(join(shots, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0];
  return newest && `${screenshotsDir}/${newest.f}`;
}

async function status(dir: BuildDir, steps: Step[], out: Out, around: Surroundings): Promise<void> {
  const next = await dir.value("nextstep");
  const at = next === "finished" ? steps.length : steps.findIndex((s) => s.name === next);
  const pid = await around.driver.vmPid(buildVmFiles(dir.path));
  out(`label:     ${await dir.value("LABEL")} (image ${await dir.value("WINIMG")})`);
  out(`next step: ${next}`);
  out(
    `VM:        ${pid ? `running, pid ${pid}, VNC ${await dir.value("kvm.vnc")} (password in ${vncPasswordFile})` : "not running"}`,
  );
  const shot = lastScreenshot(dir);
  if (shot) out(`last screenshot: ${shot}`);
  if (existsSync(dir.file(reportFile))) out(`report:    ${dir.file(reportFile)}`);
  steps.forEach((s, i) => {
    if (s.name === firstTestStep) out("  optional first-boot test of the packaged image:");
    const mark = at < 0 || i < at ? "done" : i === at ? "next" : "    ";
    out(`  [${mark}] ${s.name}${s.kind === "manual" ? "  (manual: -done)" : ""}`);
  });
}
