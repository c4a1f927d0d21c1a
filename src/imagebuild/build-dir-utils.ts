// What `build-dir-utils BUILDDIR STEP|FLAG` does with one call: 0-init, the
// next step (-do-next, -next), a manual step confirmed (-done), -status.
// A step that fails leaves `nextstep` where it was, so the same command can
// be run again; every call is recorded in the build's log.
import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { BuildDir, BuildDirError } from "./build-dir.js";
import { windowsVersions } from "./build-settings.js";
import { stepContext } from "./steps/context.js";
import { type Step, stepAfter, stepNamed, steps } from "./steps.js";

const utilityFlags = ["-screendump", "-pw", "-cleanup", "-kill-kvm"];

/** yymmdd-HHMMSS, as the original's timestamp file. */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getFullYear() % 100)}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function buildDirUtils(
  path: string,
  word: string,
  args: readonly string[],
  out: (line: string) => void,
): Promise<void> {
  const dir = new BuildDir(path);
  if (word === "0-init") return init(dir, args[0], out);
  if (!existsSync(dir.file("nextstep")))
    throw new BuildDirError(
      `${path} is not a build directory: start one with 'build-dir-utils ${path} 0-init 2012'`,
    );
  const release = dir.lock();
  try {
    if (word === "-status") return await status(dir, out);
    if (utilityFlags.includes(word)) {
      throw new BuildDirError(
        `${word} works on the build's VM (step 3), which this version does not boot yet`,
      );
    }
    const next = stepNamed((await dir.value("nextstep")) ?? "");
    if (!next) throw new BuildDirError(`nextstep names no step: ${await dir.value("nextstep")}`);
    if (word === "-do-next" || word === "-next") return await runStep(dir, next, out);
    if (word === "-done") return await confirm(dir, next, out);
    const named = stepNamed(word);
    if (!named) {
      throw new BuildDirError(
        `unknown step or flag '${word}': use -do-next, -done, -status, or the next step's name (${next.name})`,
      );
    }
    if (named !== next) throw new BuildDirError(`the next step is ${next.name}, not ${word} (see -status)`);
    return await (next.kind === "manual" ? confirm(dir, next, out) : runStep(dir, next, out));
  } finally {
    await release();
  }
}

async function init(dir: BuildDir, version: string | undefined, out: (line: string) => void): Promise<void> {
  if (!version || !(windowsVersions as readonly string[]).includes(version)) {
    throw new BuildDirError(`0-init needs the Windows version: one of ${windowsVersions.join(", ")}`);
  }
  if (existsSync(dir.path) && readdirSync(dir.path).length > 0) {
    throw new BuildDirError(`${dir.path} is not empty: 0-init starts a build in a new or empty directory`);
  }
  await mkdir(dir.path, { recursive: true });
  await dir.write("LABEL", version);
  await dir.write("WINIMG", `win-${version}.raw`);
  await dir.write("timestamp", timestamp(new Date()));
  await dir.write("nextstep", steps[0]!.name);
  const lines = [`started a Windows Server ${version} build in ${dir.path}`];
  await dir.log("0-init", lines, "ok");
  for (const l of [...lines, ...nextLines(steps[0])]) out(l);
}

function nextLines(step: Step | undefined): string[] {
  return step ? [step.instructions, `./nextstep is now ${step.name}`] : ["The build is finished."];
}

async function runStep(dir: BuildDir, step: Step, out: (line: string) => void): Promise<void> {
  if (step.kind === "manual") {
    throw new BuildDirError(
      `${step.name} is a manual step: ${step.instructions.replace(/, then -done\.$/, "")}; then use -done`,
    );
  }
  if (!step.run) {
    throw new BuildDirError(
      `${step.name} is not part of this version yet. To package an image installed some other way, put it in the build directory as named in WINIMG and write 26-make-simple-tar-of-image into nextstep`,
    );
  }
  const said: string[] = [];
  const say = (line: string) => {
    said.push(line);
    out(line);
  };
  try {
    await step.run(stepContext(dir, say));
  } catch (err) {
    await dir.log(step.name, said, `failed: ${(err as Error).message}`);
    throw new BuildDirError(`${step.name} failed: ${(err as Error).message}; nextstep is still ${step.name}`);
  }
  await advance(dir, step, said, out);
}

async function confirm(dir: BuildDir, step: Step, out: (line: string) => void): Promise<void> {
  if (step.kind === "auto")
    throw new BuildDirError(`${step.name} is automatic: run it with -do-next, not -done`);
  await advance(dir, step, [`confirmed ${step.name}`], out);
}

async function advance(
  dir: BuildDir,
  step: Step,
  said: string[],
  out: (line: string) => void,
): Promise<void> {
  const following = stepAfter(step.name);
  await dir.write("nextstep", following?.name ?? "finished");
  await dir.log(step.name, said, "ok");
  for (const l of nextLines(following)) out(l);
}

async function status(dir: BuildDir, out: (line: string) => void): Promise<void> {
  const next = await dir.value("nextstep");
  const at = steps.findIndex((s) => s.name === next);
  const pid = Number(await dir.value("kvm.pid"));
  const running = pid > 0 && existsSync(`/proc/${pid}`);
  out(`label:     ${await dir.value("LABEL")} (image ${await dir.value("WINIMG")})`);
  out(`next step: ${next}`);
  out(`VM:        ${running ? `running, pid ${pid}, VNC ${await dir.value("kvm.vnc")}` : "not running"}`);
  steps.forEach((s, i) => {
    const mark = at < 0 || i < at ? "done" : i === at ? "next" : "    ";
    out(`  [${mark}] ${s.name}${s.kind === "manual" ? "  (manual: -done)" : ""}`);
  });
}
