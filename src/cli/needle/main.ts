// needle: make, try and look at openQA-style needles (NAME.json + NAME.png)
// for the fully automatic image build (docs/needles.md).
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { holds, type Rect } from "../../image/image.js";
import { findStepScreenshot } from "../../imagebuild/step-screenshots.js";
import { flagField, intField, listField, textField } from "../../model/fields.js";
import { colours, diffImage, drawNeedle, drawResult, outline } from "../../needle/draw.js";
import { matchNeedle } from "../../needle/match.js";
import { defaultMargin, defaultMatch, type Needle, NeedleError } from "../../needle/needle.js";
import { loadNeedle, readPng, saveNeedle, writePng } from "../../needle/needle-files.js";
import { arg, type CommandGroup, command, manyArgs, optionalArg } from "../command.js";
import { noContext, runProgram } from "../dispatch.js";
import { UserError } from "../errors.js";
import { percentField, pointField, rectField } from "./options.js";

const say = (line: string) => process.stdout.write(`${line}\n`);
const userErrors = <T>(work: () => Promise<T>): Promise<T> =>
  work().catch((err: Error) => {
    throw err instanceof NeedleError ? new UserError(err.message) : err;
  });

const create = command({
  name: "new",
  summary:
    "Make a needle from a screenshot: NAME.png (the screenshot) and NAME.json (its areas and tags). " +
    "With --from-build BUILDDIR, the argument is a step (4, or its name) whose recorded screen is used.",
  args: [arg("SCREENSHOT.png|STEP")],
  options: {
    area: {
      field: listField(rectField),
      desc: "a rectangle that must match",
      required: true,
      repeatable: true,
    },
    exclude: {
      field: listField(rectField),
      desc: "a rectangle to ignore (a clock, a counter)",
      repeatable: true,
    },
    click: { field: pointField, desc: "where a click on this needle goes, inside a match area" },
    tag: {
      field: listField(textField({ max: 100 })),
      desc: "a tag the build's scripts wait for",
      required: true,
      repeatable: true,
    },
    match: { field: percentField, desc: "the similarity each match area needs", default: defaultMatch },
    margin: {
      field: intField({ min: 1, max: 1024 }),
      desc: "how far from its place an area is looked for, in pixels",
      default: defaultMargin,
    },
    output: {
      field: textField({ max: 4096 }),
      desc: "the needle's name, a path without .json",
      required: true,
      short: "o",
    },
    from_build: {
      field: textField({ max: 4096 }),
      desc: "take the screenshot that this build recorded for the step",
    },
  },
  async run(_ctx: undefined, [source], o) {
    await userErrors(async () => {
      const screenshot = o.from_build ? findStepScreenshot(resolve(o.from_build), source!) : source!;
      const image = await readPng(screenshot);
      const base = o.output!.replace(/\.(json|png)$/, "");
      for (const f of [`${base}.json`, `${base}.png`])
        if (existsSync(f))
          throw new UserError(`${f} exists: choose another name with -o, or remove it first`);
      if (!existsSync(dirname(resolve(base))))
        throw new UserError(`${dirname(base)} does not exist: make it first`);
      const check = (what: string, r: Rect) => {
        if (!holds(image, r))
          throw new UserError(
            `${what} ${r.x},${r.y},${r.width},${r.height} is not inside the ${image.width}x${image.height} screenshot`,
          );
      };
      for (const r of o.area!) check("--area", r);
      for (const r of o.exclude ?? []) check("--exclude", r);
      const areas: Needle["areas"] = o.area!.map((r) => ({
        ...r,
        type: "match",
        match: o.match!,
        margin: o.margin!,
      }));
      if (o.click) {
        const c = o.click;
        const inside = areas.find(
          (a) => c.x >= a.x && c.x < a.x + a.width && c.y >= a.y && c.y < a.y + a.height,
        );
        if (!inside)
          throw new UserError(`--click ${c.x},${c.y} is in no --area: a click point belongs to a match area`);
        inside.clickPoint = { x: c.x - inside.x, y: c.y - inside.y };
      }
      for (const r of o.exclude ?? [])
        areas.push({ ...r, type: "exclude", match: defaultMatch, margin: defaultMargin });
      const needle: Needle = { name: basename(base), tags: o.tag!, properties: [], areas };
      await saveNeedle(base, needle, image);
      say(
        `wrote ${base}.json and ${base}.png from ${screenshot}: ${o.area!.length} match area(s), ${(o.exclude ?? []).length} excluded, tags ${o.tag!.join(", ")}`,
      );
    });
  },
});

const test = command({
  name: "test",
  summary:
    "Match a needle against screenshots, as the automatic build would: for each, match or not and each area's place and similarity. " +
    "Exit status 0 only if every screenshot matches; a failed one gets a diff image.",
  args: [arg("NEEDLE.json"), manyArgs("SCREENSHOT.png")],
  options: {
    json: { field: flagField, desc: "print a JSON array, one object per screenshot" },
    color: { field: flagField, desc: "colour-aware matching: R, G and B compared apart" },
    diff_dir: {
      field: textField({ max: 4096 }),
      desc: "where diff images go (default: beside each screenshot)",
    },
  },
  async run(_ctx: undefined, [needlePath, ...shots], o) {
    await userErrors(async () => {
      const needle = await loadNeedle(needlePath!);
      const report = [];
      for (const shot of shots) {
        const screen = await readPng(shot);
        const r = matchNeedle(screen, needle, { colour: o.color === true });
        const areas = r.areas.map((a) => ({
          x: a.x,
          y: a.y,
          width: a.width,
          height: a.height,
          similarity: round(a.similarity ?? 0),
        }));
        let diff: string | undefined;
        if (!r.ok) {
          diff = join(o.diff_dir ?? dirname(shot), `${basename(shot, ".png")}.${needle.name}.diff.png`);
          await writePng(diff, diffImage(screen, r));
        }
        report.push({ screenshot: shot, match: r.ok, areas, ...(diff ? { diff } : {}) });
        if (!o.json) {
          say(`${shot}: ${r.ok ? "match" : "no match"} (needle ${needle.name})`);
          for (const [i, a] of r.areas.entries()) {
            const score = round(a.similarity ?? 0).toFixed(3);
            const verdict = a.ok ? "ok" : "too low";
            say(
              `  area ${i + 1}: found at ${a.x},${a.y} (${a.width}x${a.height}), similarity ${score}, needs ${a.required.toFixed(3)}: ${verdict}`,
            );
          }
          if (diff) say(`  diff image: ${diff}`);
        }
      }
      if (o.json) say(JSON.stringify(report, null, 2));
      if (report.some((r) => !r.match)) process.exitCode = 1;
    });
  },
});

const show = command({
  name: "show",
  summary:
    "Draw a needle's areas (match green, exclude orange, ocr blue) on its own picture, or on a screenshot with where each area was found there.",
  args: [arg("NEEDLE.json"), optionalArg("SCREENSHOT.png")],
  options: {
    output: {
      field: textField({ max: 4096 }),
      desc: "the PNG to write (default: NAME-areas.png here)",
      short: "o",
    },
  },
  async run(_ctx: undefined, [needlePath, shot], o) {
    await userErrors(async () => {
      const needle = await loadNeedle(needlePath!);
      const out = o.output ?? `${needle.name}-areas.png`;
      if (shot) {
        const screen = await readPng(shot);
        const drawn = drawResult(screen, matchNeedle(screen, needle));
        for (const a of needle.areas.filter((a) => a.type !== "match")) outline(drawn, a, colours[a.type]);
        await writePng(out, drawn);
      } else await writePng(out, drawNeedle(needle));
      say(`wrote ${out}`);
    });
  },
});

const round = (n: number) => Math.round(n * 1e4) / 1e4;

const main: CommandGroup<undefined> = {
  name: "needle",
  summary: "Make, test and show openQA-style needles (NAME.json + NAME.png) for auto-windows-image-build.",
  commands: [create, test, show],
};

// `needle test` sets exit status 1 itself when a screenshot does not match.
process.exitCode =
  (await runProgram({ root: main, ...noContext }, process.argv.slice(2))) || process.exitCode;
