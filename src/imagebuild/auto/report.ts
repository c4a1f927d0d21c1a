// BUILDDIR/report.html: the automatic build as a person reads it, one file
// that opens from disk (the screens are inside it): every step with its
// start, duration, output and result, and each screen waited for with the
// matched areas drawn, or on a failure the closest needle's diff. Its data
// is kept in report.json so a resumed build adds to it; both are rewritten
// whole after every change.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { encodePng } from "../../image/png.js";
import { diffImage, drawResult } from "../../needle/draw.js";
import { writeWhole } from "../../needle/needle-files.js";
import type { ScreenWait } from "../../vnc/screen-watch.js";

export const reportFile = "report.html";
const dataFile = "report.json";

interface ScreenEntry {
  tag: string;
  matched: boolean;
  needle: string | undefined;
  areas: { x: number; y: number; width: number; height: number; similarity: number; required: number }[];
  waitedMs: number;
  /** The screen with the areas drawn (or the diff), as a data: URI. */
  picture: string;
}

interface StepEntry {
  step: string;
  kind: "auto" | "manual";
  start: string;
  durationMs?: number;
  result?: "ok" | "failed";
  lines: string[];
  screens: ScreenEntry[];
}

export class BuildReport {
  private steps: StepEntry[] | undefined;
  constructor(private readonly dir: string) {}

  private async load(): Promise<StepEntry[]> {
    if (!this.steps) {
      const file = join(this.dir, dataFile);
      this.steps = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as StepEntry[]) : [];
    }
    return this.steps;
  }

  /** The newest run of `step` (a resumed build runs a step again). */
  private async latest(step: string): Promise<StepEntry | undefined> {
    return [...(await this.load())].reverse().find((s) => s.step === step);
  }

  async begin(step: string, kind: "auto" | "manual"): Promise<void> {
    (await this.load()).push({ step, kind, start: new Date().toISOString(), lines: [], screens: [] });
    await this.write();
  }

  async screen(step: string, tag: string, wait: ScreenWait): Promise<void> {
    const entry = await this.latest(step);
    if (!entry) return;
    const best = wait.matched ?? wait.candidates[0];
    const picture = best
      ? wait.matched
        ? drawResult(wait.screen, best)
        : diffImage(wait.screen, best)
      : wait.screen;
    entry.screens.push({
      tag,
      matched: wait.matched !== undefined,
      needle: best?.needle.name,
      areas: (best?.areas ?? []).map((a) => ({
        x: a.x,
        y: a.y,
        width: a.width,
        height: a.height,
        similarity: a.similarity ?? 0,
        required: a.required,
      })),
      waitedMs: Math.round(wait.waitedMs),
      picture: `data:image/png;base64,${encodePng(picture, 6).toString("base64")}`,
    });
    await this.write();
  }

  async end(step: string, result: "ok" | "failed", lines: string[]): Promise<void> {
    const entry = await this.latest(step);
    if (!entry) return;
    entry.result = result;
    entry.lines = lines;
    entry.durationMs = Date.now() - Date.parse(entry.start);
    await this.write();
  }

  private async write(): Promise<void> {
    const steps = await this.load();
    await writeWhole(join(this.dir, dataFile), JSON.stringify(steps));
    await writeWhole(join(this.dir, reportFile), renderReport(this.dir, steps));
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function renderReport(dir: string, steps: StepEntry[]): string {
  const rows = steps.map((s) => {
    const state = s.result ?? "running";
    const screens = s.screens
      .map((sc) => {
        const areas = sc.areas
          .map(
            (a, i) =>
              `area ${i + 1} at ${a.x},${a.y} (${a.width}x${a.height}): ${a.similarity.toFixed(3)} of ${a.required.toFixed(3)}`,
          )
          .join("<br>");
        const what = sc.matched
          ? `screen <b>${escapeHtml(sc.tag)}</b>: needle ${escapeHtml(sc.needle ?? "")} after ${(sc.waitedMs / 1000).toFixed(1)} s`
          : `screen <b>${escapeHtml(sc.tag)}</b> did not come; closest needle ${escapeHtml(sc.needle ?? "none")} (diff)`;
        return `<figure class="${sc.matched ? "ok" : "failed"}"><img src="${sc.picture}" alt="${escapeHtml(sc.tag)}"><figcaption>${what}<br>${areas}</figcaption></figure>`;
      })
      .join("");
    const duration = s.durationMs === undefined ? "" : `${(s.durationMs / 1000).toFixed(1)} s`;
    return `<section class="${state}"><h2>${escapeHtml(s.step)} <small>${s.kind}, ${state}, started ${escapeHtml(s.start)}${duration ? `, ${duration}` : ""}</small></h2><pre>${escapeHtml(s.lines.join("\n"))}</pre>${screens}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Build report: ${escapeHtml(dir)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222 }
section { border-left: 6px solid #999; padding: 0 1em; margin: 1em 0 }
section.ok { border-color: #2a2 } section.failed { border-color: #c22 } section.running { border-color: #e90 }
h2 small { font-weight: normal; color: #666; font-size: 60% }
pre { background: #f4f4f4; padding: .5em; white-space: pre-wrap }
figure { display: inline-block; margin: .5em; max-width: 48% } figure img { max-width: 100%; border: 1px solid #ccc }
figure.failed figcaption { color: #c22 }
</style></head><body>
<h1>Build report</h1><p>${escapeHtml(dir)}: ${steps.length} step runs, newest last. Rewritten as the build goes.</p>
${rows.join("\n")}
</body></html>
`;
}
