// auto-windows-image-build: every step of a build without a person. The
// automatic steps run as `build-dir-utils -do-next` runs them and the manual
// ones by the console script over VNC, each then confirmed as `-done`
// confirms it (recording its screen), so `nextstep` and the log stay the
// one truth and the build can be finished by hand at any point. A screen
// that does not come stops the build on its step with the evidence: the
// screen, the closest needle and its scores, a diff image.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { diffImage } from "../../needle/draw.js";
import type { LoadedNeedle } from "../../needle/match.js";
import { NeedleError } from "../../needle/needle.js";
import { loadNeedleDir, writePng } from "../../needle/needle-files.js";
import { connectWithRetry } from "../../vnc/connect.js";
import { layoutNamed } from "../../vnc/keyboard/layouts.js";
import { type RfbClient, VncError } from "../../vnc/rfb-client.js";
import { BuildDir, BuildDirError } from "../build-dir.js";
import { LoggedError, type Out, runWord, stepsOf } from "../build-dir-utils.js";
import { temporaryPassword } from "../floppy-content.js";
import { readInstallParams } from "../install-params.js";
import { screenshotsDir } from "../step-screenshots.js";
import { vncPasswordFile } from "../steps/3-boot-with-install-iso-and-floppy.js";
import type { Surroundings } from "../steps/context.js";
import { firstTestStep } from "../steps.js";
import { runActions, ScreenTimeout, ScriptProblem } from "./console-runner.js";
import { type ConsoleScript, ConsoleScriptError } from "./console-script.js";
import { loadConsoleScript } from "./console-scripts.js";
import { BuildReport } from "./report.js";

export interface AutoBuildOptions {
  /** Go on through packaging (26 to 28). */
  package: boolean;
  /** Aborted by Ctrl-C: the step under way stops, `nextstep` stays on it. */
  signal?: AbortSignal;
}

/** The console: the VNC connection, the script and the needles, opened at the first manual step. */
interface Console {
  address: string;
  /** Keys a second (KEYRATE, as step 1 captured it). */
  keyRate: number;
  client: RfbClient;
  script: ConsoleScript;
  needles: LoadedNeedle[];
}

export async function autoBuild(
  path: string,
  options: AutoBuildOptions,
  out: Out,
  around: Surroundings,
): Promise<void> {
  const dir = new BuildDir(resolve(path));
  if (!existsSync(dir.file("nextstep")))
    throw new BuildDirError(
      `${path} is not a build directory: start one with 'build-dir-utils ${path} 0-init 2012'`,
    );
  const release = dir.lock();
  const report = new BuildReport(dir.path);
  let vmConsole: Console | undefined;
  try {
    for (;;) {
      if (options.signal?.aborted) throw new BuildDirError(interrupted(await dir.value("nextstep")));
      const next = await dir.value("nextstep");
      if (next === "finished" || next === firstTestStep) {
        out(`the build is done: the seed image is in ${dir.file("final-seed-image")}`);
        break;
      }
      if (next === "26-make-simple-tar-of-image" && !options.package) {
        out(
          "Windows is installed and sysprepped. Package it with --package, or with build-dir-utils -do-next.",
        );
        break;
      }
      const step = (await stepsOf(dir)).find((s) => s.name === next);
      if (!step) throw new BuildDirError(`nextstep names no step: ${next}`);
      const lines: string[] = [];
      const say = (line: string) => {
        lines.push(line);
        out(line);
      };
      await report.begin(step.name, step.kind);
      try {
        if (step.kind === "auto") await runWord(dir, "-do-next", say, around);
        else {
          vmConsole ??= await openConsole(dir, say);
          // A console that went away (the VM restarted, a network blip): connect again, with backoff.
          if (vmConsole.client.closedWith !== null) {
            vmConsole.client = await connectWithRetry(vmConsole.address, await consolePassword(dir));
            say(`console: connected again to vnc://${vmConsole.address}`);
          }
          await manualStep(dir, step.name, vmConsole, report, say, options.signal);
          await runWord(dir, "-done", say, around);
        }
        await report.end(step.name, "ok", lines);
      } catch (err) {
        // A needle, a script or a console that cannot be used is the user's to fix, not a crash.
        const theirs = [NeedleError, ConsoleScriptError, ScriptProblem, VncError].some(
          (k) => err instanceof k,
        );
        const failure = theirs
          ? new BuildDirError(`${step.name}: ${(err as Error).message}\nnextstep is still ${step.name}`)
          : err;
        // Every failure in the build's log once (-do-next, -done and a timeout write their own).
        if (!(err instanceof LoggedError))
          await dir.log(step.name, lines, `failed: ${(err as Error).message}`);
        await report.end(step.name, "failed", [...lines, (failure as Error).message]);
        throw failure;
      }
    }
  } finally {
    vmConsole?.client.close();
    await release();
  }
}

const interrupted = (next: string | undefined) =>
  `interrupted: nextstep is still ${next}; run the same command again to go on, or finish the step by hand`;

/** The VM's console password, made at its last boot (step 3's bootBuildVm). */
async function consolePassword(dir: BuildDir): Promise<{ password?: string }> {
  const password = await dir.value(vncPasswordFile);
  return password ? { password } : {};
}

async function openConsole(dir: BuildDir, say: Out): Promise<Console> {
  const p = await readInstallParams(dir.path);
  const script = await loadConsoleScript(p.consoleScript);
  if (!existsSync(p.needlesDir))
    throw new BuildDirError(
      `the needle directory ${p.needlesDir} does not exist: make needles from a manual build's recorded screens (docs/needles.md), or set NEEDLES_DIR`,
    );
  const needles = await loadNeedleDir(p.needlesDir);
  const vnc = await dir.value("kvm.vnc");
  if (!vnc) throw new BuildDirError("kvm.vnc is missing: the build's VM was not started (step 3)");
  const client = await connectWithRetry(vnc, await consolePassword(dir));
  say(
    `console: vnc://${vnc}, ${needles.length} needles from ${p.needlesDir}, script ${p.consoleScript} (${script.keyboard} keyboard)`,
  );
  return { address: vnc, keyRate: p.keyRate, client, script, needles };
}

async function manualStep(
  dir: BuildDir,
  name: string,
  vmConsole: Console,
  report: BuildReport,
  say: Out,
  signal: AbortSignal | undefined,
): Promise<void> {
  const actions = vmConsole.script.steps.get(name);
  if (!actions)
    throw new BuildDirError(
      `the console script has no actions for ${name}: do it at the console and run 'build-dir-utils ${dir.path} -done', or add it to the script`,
    );
  const aborted = new Promise<never>((_, reject) =>
    signal?.addEventListener("abort", () => reject(new BuildDirError(interrupted(name))), { once: true }),
  );
  aborted.catch(() => {}); // an interruption after the step is the loop's to see
  try {
    const running = runActions(actions, {
      client: vmConsole.client,
      needles: vmConsole.needles,
      layout: layoutNamed(vmConsole.script.keyboard),
      keyRate: vmConsole.keyRate,
      values: { password: temporaryPassword },
      say,
      saw: (tag, wait) => report.screen(name, tag, wait),
    });
    // Once interrupted, what the actions still do ends with the connection, unheard.
    running.catch(() => {});
    await Promise.race([running, aborted]);
  } catch (err) {
    if (!(err instanceof ScreenTimeout)) throw err;
    throw new LoggedError(await timeoutReport(dir, name, err));
  }
}

/** The timeout's evidence, saved and said: the screen, the closest needle, its areas' scores, a diff. */
async function timeoutReport(dir: BuildDir, step: string, t: ScreenTimeout): Promise<string> {
  await mkdir(dir.file(screenshotsDir), { recursive: true });
  const shot = `${screenshotsDir}/${step}.timeout.png`;
  await writePng(dir.file(shot), t.wait.screen);
  const lines = [`${step}: ${t.message}`, `  screenshot: ${shot}`];
  const closest = t.wait.candidates[0];
  if (closest) {
    lines.push(`  closest needle: ${closest.needle.name} (tags ${closest.needle.tags.join(", ")})`);
    for (const [i, a] of closest.areas.entries())
      lines.push(
        `    area ${i + 1} at ${a.x},${a.y} (${a.width}x${a.height}): similarity ${(a.similarity ?? 0).toFixed(3)}, needs ${a.required.toFixed(3)}`,
      );
    const diff = `${screenshotsDir}/${step}.timeout.${closest.needle.name}.diff.png`;
    await writePng(dir.file(diff), diffImage(t.wait.screen, closest));
    lines.push(`  diff image: ${diff}`);
  }
  lines.push(
    `nextstep is still ${step}: finish it at the console and run 'build-dir-utils ${relative(process.cwd(), dir.path) || "."} -done', or add a needle for '${t.tag}' (needle new --from-build ... --tag ${t.tag}) and run this command again`,
  );
  await dir.log(step, lines, `failed: ${t.message}`);
  return lines.join("\n");
}
