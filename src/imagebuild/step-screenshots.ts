// Where a build keeps each step's screen: screenshots/STEP.png, taken when a
// manual step is confirmed with -done (record mode) or when an automatic
// build's step sees its screen. `needle new --from-build` makes needles from
// them.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const screenshotsDir = "screenshots";

export function stepScreenshot(buildDir: string, step: string): string {
  return join(buildDir, screenshotsDir, `${step}.png`);
}

/** The screenshot of the step named or numbered `word` (4 or 4-M-wait-for-ctrl-alt-delete-screen). */
export function findStepScreenshot(buildDir: string, word: string): string {
  const dir = join(buildDir, screenshotsDir);
  const shots = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".png")) : [];
  const step = shots.map((f) => f.slice(0, -4)).find((s) => s === word || s.startsWith(`${word}-`));
  if (!step) {
    const have = shots.filter((f) => /^\d+-/.test(f)).map((f) => f.slice(0, -4));
    throw new Error(
      `${buildDir} has no screenshot of step ${word}: ${have.length ? `it has ${have.join(", ")}` : "confirm a manual step with -done to record one"}`,
    );
  }
  return join(dir, `${step}.png`);
}
