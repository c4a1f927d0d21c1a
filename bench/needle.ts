// Needle matching (issue 10): our matcher against OpenCV doing os-autoinst's
// search (bench/needle-opencv.py, Debian's python3-opencv) on the same frames
// and needles in the same run, at 1024x768 and 1920x1080, for 1, 10 and 50
// needles. Each needle is tried on a frame where it is (moved a few pixels,
// light noise: the search has work to do) and on one where it is not (the
// case of a build waiting for a screen). Per needle: p50 and p95 in ms, ours
// exact (as os-autoinst), ours yes-or-no (what the build's watcher runs), and
// OpenCV's; and whether the two agree on match or not and on the similarity.
// Run: npm run bench:needle
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crop, type Image } from "../src/image/image.js";
import { encodePng } from "../src/image/png.js";
import { type LoadedNeedle, matchNeedle } from "../src/needle/match.js";
import { parseNeedle } from "../src/needle/needle.js";
import { decorate, random, screenFrame, withNoise } from "../test/helpers/pictures.js";

const python = "/usr/bin/python3";
try {
  execFileSync(python, ["-c", "import cv2"], { stdio: "ignore" });
} catch {
  console.error("bench:needle compares with OpenCV: apt-get install -y python3-opencv");
  process.exit(1);
}

const root = mkdtempSync(join(tmpdir(), "wakame-bench-needle-"));
const repeat = 20;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

interface Case {
  width: number;
  height: number;
  count: number;
}
const cases: Case[] = [1024, 1920].flatMap((width) =>
  [1, 10, 50].map((count) => ({ width, height: width === 1024 ? 768 : 1080, count })),
);

const rows: string[] = [];
let disagreements = 0;
let maxSimilarityGap = 0;
try {
  for (const c of cases) {
    const rnd = random(c.width + c.count);
    const base = screenFrame(c.width, c.height, c.count);
    const needles: LoadedNeedle[] = [];
    const present: Image[] = [];
    for (let i = 0; i < c.count; i++) {
      const w = 80 + Math.floor(rnd() * 220);
      const h = 24 + Math.floor(rnd() * 56);
      const x = 60 + Math.floor(rnd() * (c.width - w - 120));
      const y = 60 + Math.floor(rnd() * (c.height - h - 120));
      const image = screenFrame(c.width, c.height, 1000 + i);
      decorate(image, { x: x - 4, y: y - 4, width: w + 8, height: h + 8 }, 50 + i);
      needles.push({
        ...parseNeedle({ tags: [`n${i}`], area: [{ xpos: x, ypos: y, width: w, height: h }] }, `n${i}`),
        image,
      });
      // The screen where it is: the area's content moved by up to 6 pixels, light noise over all.
      const dx = Math.floor(rnd() * 13) - 6;
      const dy = Math.floor(rnd() * 13) - 6;
      const moved = { ...base, data: base.data.slice() };
      const part = crop(image, { x: x - 4, y: y - 4, width: w + 8, height: h + 8 });
      for (let r = 0; r < part.height; r++)
        moved.data.set(
          part.data.subarray(r * part.width * 4, (r + 1) * part.width * 4),
          ((y - 4 + dy + r) * c.width + x - 4 + dx) * 4,
        );
      present.push(withNoise(moved, 6, i));
    }
    const absent = withNoise(base, 6, 99);
    const files = {
      frames: [] as string[],
      needles: [] as { png: string; areas: number[][] }[],
      pairs: [] as number[][],
      repeat,
    };
    const framePng = (img: Image) => {
      const f = join(root, `frame-${files.frames.length}.png`);
      writeFileSync(f, encodePng(img, 1));
      files.frames.push(f);
      return files.frames.length - 1;
    };
    const absentIndex = framePng(absent);
    needles.forEach((n, i) => {
      const png = join(root, `needle-${i}.png`);
      writeFileSync(png, encodePng(n.image, 1));
      files.needles.push({ png, areas: n.areas.map((a) => [a.x, a.y, a.width, a.height, a.margin]) });
      files.pairs.push([framePng(present[i]!), i], [absentIndex, i]);
    });
    const jobs = join(root, "jobs.json");
    writeFileSync(jobs, JSON.stringify(files));
    const opencv = JSON.parse(
      execFileSync(python, [join(import.meta.dirname, "..", "..", "bench", "needle-opencv.py"), jobs], {
        maxBuffer: 64 << 20,
      }).toString(),
    ) as {
      ms: number[];
      areas: { similarity: number; x: number; y: number }[];
    }[];
    const times = {
      exact: [[], []] as number[][],
      quick: [[], []] as number[][],
      opencv: [[], []] as number[][],
    };
    // Warm up the JIT on this case's sizes first (OpenCV is compiled already).
    for (let warm = 0; warm < 3; warm++) {
      files.pairs.forEach(([frame], k) => {
        const screen = frame === absentIndex ? absent : present[Math.floor(k / 2)]!;
        matchNeedle(screen, needles[Math.floor(k / 2)]!, { exact: k % 2 === 0 });
      });
    }
    files.pairs.forEach(([frame], k) => {
      const screen = frame === absentIndex ? absent : present[Math.floor(k / 2)]!;
      const needle = needles[Math.floor(k / 2)]!;
      const kind = k % 2; // 0 present, 1 absent
      let result = matchNeedle(screen, needle, { exact: kind === 0 });
      for (let r = 0; r < repeat; r++) {
        // The exact search of an absent needle takes long: a few runs give its figure.
        if (kind === 0 || r < 2) {
          const t = performance.now();
          result = matchNeedle(screen, needle);
          times.exact[kind]!.push(performance.now() - t);
        }
        const t = performance.now();
        matchNeedle(screen, needle, { exact: false });
        times.quick[kind]!.push(performance.now() - t);
      }
      times.opencv[kind]!.push(...opencv[k]!.ms);
      const theirs = opencv[k]!.areas[0]!;
      const ours = result.areas[0]!;
      if (theirs.similarity >= 0.96 !== ours.ok) disagreements++;
      maxSimilarityGap = Math.max(maxSimilarityGap, Math.abs(theirs.similarity - (ours.similarity ?? 0)));
    });
    for (const [kind, label] of [
      [0, "present"],
      [1, "absent"],
    ] as const) {
      const f = (xs: number[]) => `${pct(xs, 50).toFixed(2)} / ${pct(xs, 95).toFixed(2)}`;
      const ratio = pct(times.opencv[kind]!, 95) / pct(times[kind === 0 ? "exact" : "quick"][kind]!, 95);
      rows.push(
        `| ${c.width}x${c.height} | ${c.count} | ${label} | ${f(times.exact[kind]!)} | ${f(times.quick[kind]!)} | ${f(times.opencv[kind]!)} | ${ratio.toFixed(2)}x |`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(
  "Per needle, ms, p50 / p95. Ratio: OpenCV's p95 over ours (exact where present, yes-or-no where absent); above 1 is faster.\n",
);
console.log(
  "| screen | needles | needle on screen | ours exact | ours yes-or-no | OpenCV (os-autoinst's search) | ratio |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
console.log(
  `\nmatch or not: ${disagreements} disagreements with OpenCV; largest similarity difference ${maxSimilarityGap.toFixed(4)}`,
);
