// Finding a needle on a screen, as os-autoinst does (ppmclibs/tinycv_impl.cc,
// search_TEMPLATE): for each match area, the squared difference of the
// prepared pictures at every position within the margin around the area's
// place; of the positions within 10 of the least difference, the nearest to
// the place wins; its mean squared error maps to a similarity,
// .9 + (40 - mse) / 380, clamped to 0..1. A needle matches when every area
// reaches its "match" percentage.
//
// Faster than the search it reproduces: positions are tried from the area's
// own place outwards, a position whose rows' sums already differ too much is
// skipped, and each sum stops at the first row that cannot beat the best so
// far or reach the threshold; only an area that does not match is searched
// again in full, for its score, and a watcher that only needs yes or no
// (exact: false) skips that too. The colour-aware mode compares R, G and B apart
// and scores the worst of the three, so a green mark and a grey one of the
// same brightness differ.
import type { Image, Rect } from "../image/image.js";
import type { Needle, NeedleArea } from "./needle.js";
import { type Plane, prepare } from "./prepare.js";

export interface LoadedNeedle extends Needle {
  image: Image;
}

export interface AreaResult extends Rect {
  /** 0..1 at the position found; undefined when a yes-or-no search gave up below the threshold. */
  similarity: number | undefined;
  /** The similarity the area needs, 0..1. */
  required: number;
  ok: boolean;
  /** Where a click on this area goes, on the screen. */
  clickPoint?: { x: number; y: number };
}

export interface MatchResult {
  needle: LoadedNeedle;
  ok: boolean;
  areas: AreaResult[];
  /** os-autoinst's error: the mean over the areas of (1 - similarity)², 0 best. */
  error: number;
}

export interface MatchOptions {
  /** Compare R, G and B apart (default: grey, as os-autoinst). */
  colour?: boolean;
  /** Find the true similarity even when it is below the threshold (default true). */
  exact?: boolean;
}

const greyPlanes: readonly Plane[] = ["grey"];
const colourPlanes: readonly Plane[] = ["red", "green", "blue"];

/** The mean squared error at or under which an area reaches `required` (0..1). */
export const mseFor = (required: number): number => 40 - (required - 0.9) * 380;
export const similarityOf = (mse: number): number => Math.min(1, Math.max(0, 0.9 + (40 - mse) / 380));

/** The needle's prepared areas, made once per needle and plane. */
const prepared = new WeakMap<LoadedNeedle, Map<string, Uint8Array>>();
function needlePlane(needle: LoadedNeedle, area: NeedleArea, plane: Plane): Uint8Array {
  let cache = prepared.get(needle);
  if (!cache) {
    cache = new Map();
    prepared.set(needle, cache);
  }
  const key = `${area.x},${area.y},${area.width},${area.height},${plane}`;
  let p = cache.get(key);
  if (!p) {
    p = prepare(needle.image, area, plane, excludesOf(needle));
    cache.set(key, p);
  }
  return p;
}

const excludesOf = (needle: Needle): Rect[] => needle.areas.filter((a) => a.type === "exclude");

export function matchNeedle(screen: Image, needle: LoadedNeedle, options: MatchOptions = {}): MatchResult {
  const areas = needle.areas
    .filter((a) => a.type === "match")
    .map((a) => searchArea(screen, needle, a, options));
  const ok = areas.every((a) => a.ok);
  const error = areas.reduce((sum, a) => sum + (1 - (a.similarity ?? 0)) ** 2, 0) / Math.max(1, areas.length);
  return { needle, ok, areas, error };
}

/**
 * Every needle tried on the screen, best first as os-autoinst orders them:
 * matches first, then by error, a "workaround" needle before others, then
 * by name. `best` is the first when it matches.
 */
export function bestMatch(
  screen: Image,
  needles: readonly LoadedNeedle[],
  options: MatchOptions = {},
): { best: MatchResult | undefined; candidates: MatchResult[] } {
  const results = needles.map((n) => matchNeedle(screen, n, options));
  const workaround = (r: MatchResult) =>
    r.needle.properties.some(
      (p) =>
        p === "workaround" ||
        (typeof p === "object" && p !== null && (p as { name?: unknown }).name === "workaround"),
    );
  results.sort(
    (a, b) =>
      Number(b.ok) - Number(a.ok) ||
      a.error - b.error ||
      Number(workaround(b)) - Number(workaround(a)) ||
      (a.needle.name < b.needle.name ? -1 : a.needle.name > b.needle.name ? 1 : 0),
  );
  return { best: results[0]?.ok ? results[0] : undefined, candidates: results };
}

function searchArea(
  screen: Image,
  needle: LoadedNeedle,
  area: NeedleArea,
  options: MatchOptions,
): AreaResult {
  const required = area.match / 100;
  const { width: w, height: h } = area;
  // A screen of another size than the needle: the place scales, the area does not (as os-autoinst).
  const sx = Math.trunc((area.x * screen.width) / needle.image.width);
  const sy = Math.trunc((area.y * screen.height) / needle.image.height);
  const fail = (x: number, y: number): AreaResult => ({
    x,
    y,
    width: w,
    height: h,
    similarity: 0,
    required,
    ok: false,
  });
  if (sx + w > screen.width || sy + h > screen.height) return fail(0, 0);
  const x0 = Math.max(0, sx - area.margin);
  const y0 = Math.max(0, sy - area.margin);
  const region = {
    x: x0,
    y: y0,
    width: Math.min(screen.width, sx + w + area.margin) - x0,
    height: Math.min(screen.height, sy + h + area.margin) - y0,
  };
  const planes = options.colour ? colourPlanes : greyPlanes;
  const scene = planes.map((p) => prepare(screen, region, p, excludesOf(needle)));
  const object = planes.map((p) => needlePlane(needle, area, p));
  const cols = region.width - w + 1;
  const rows = region.height - h + 1;
  const cx = sx - x0;
  const cy = sy - y0;
  const n = w * h;
  const sums = scene.map((s) => rowPrefixSums(s, region.width, region.height));
  const objectRows = object.map((o) => rowSums(o, w, h));
  /** The positions within 10 of the least difference, giving up on any past `limit`. */
  const search = (limit: number) => {
    const candidates: { d: number; ssd: number; x: number; y: number }[] = [];
    let least = Number.POSITIVE_INFINITY;
    const maxRing = Math.max(cx, cy, cols - 1 - cx, rows - 1 - cy);
    rings: for (let ring = 0; ring <= maxRing; ring++) {
      for (let py = cy - ring; py <= cy + ring; py++) {
        if (py < 0 || py >= rows) continue;
        const edge = py === cy - ring || py === cy + ring;
        for (let px = cx - ring; px <= cx + ring; px += edge ? 1 : 2 * ring) {
          if (px >= 0 && px < cols) {
            const bound = Math.min(least + 10, limit);
            if (rowBound(sums, region.width + 1, px, py, objectRows, w, h, bound)) {
              const ssd = sumOfSquares(scene, region.width, px, py, object, w, h, bound);
              if (ssd !== Number.POSITIVE_INFINITY && ssd <= least + 10) {
                candidates.push({ d: (px - cx) ** 2 + (py - cy) ** 2, ssd, x: px, y: py });
                if (ssd < least) least = ssd;
                if (ssd === 0 && ring === 0) break rings; // a perfect match in place
              }
            }
          }
          if (ring === 0) break;
        }
      }
    }
    return { candidates, least };
  };
  // First give up on positions that cannot reach the threshold: when one does,
  // every position within 10 of the least is among those kept, so the answer is
  // the exact search's. Only an area below the threshold needs the exact search
  // of every position, and only when its score is asked for.
  const threshold = mseFor(required) * n * planes.length;
  let { candidates, least } = search(threshold + 10);
  if (least > threshold && options.exact !== false)
    ({ candidates, least } = search(Number.POSITIVE_INFINITY));
  const chosen = candidates.filter((c) => c.ssd <= least + 10).sort((a, b) => a.d - b.d)[0];
  if (!chosen) return { x: sx, y: sy, width: w, height: h, similarity: undefined, required, ok: false };
  // The score: the worst plane's mean squared error at the chosen position.
  const mse =
    planes.length === 1
      ? chosen.ssd / n
      : Math.max(
          ...planes.map(
            (_, i) =>
              sumOfSquares(
                [scene[i]!],
                region.width,
                chosen.x,
                chosen.y,
                [object[i]!],
                w,
                h,
                Number.POSITIVE_INFINITY,
              ) / n,
          ),
        );
  const similarity = similarityOf(mse);
  const result: AreaResult = {
    x: x0 + chosen.x,
    y: y0 + chosen.y,
    width: w,
    height: h,
    similarity,
    required,
    ok: similarity >= required,
  };
  if (area.clickPoint)
    result.clickPoint = { x: result.x + area.clickPoint.x, y: result.y + area.clickPoint.y };
  return result;
}

/** Per row of a w x h plane, the running sums: (w + 1) a row, the first 0. */
function rowPrefixSums(plane: Uint8Array, w: number, h: number): Int32Array {
  const out = new Int32Array((w + 1) * h);
  for (let y = 0; y < h; y++) {
    let sum = 0;
    const o = y * (w + 1);
    for (let x = 0; x < w; x++) {
      sum += plane[y * w + x]!;
      out[o + x + 1] = sum;
    }
  }
  return out;
}

function rowSums(plane: Uint8Array, w: number, h: number): Int32Array {
  const out = new Int32Array(h);
  for (let y = 0; y < h; y++) {
    let sum = 0;
    for (let x = 0; x < w; x++) sum += plane[y * w + x]!;
    out[y] = sum;
  }
  return out;
}

/**
 * Whether a position may still be within `bound`, from the rows' sums alone:
 * each row's squared differences are at least its sum's difference squared
 * over its width (Cauchy-Schwarz), so a position whose rows' brightness
 * differs too much is given up without comparing a pixel.
 */
function rowBound(
  sums: readonly Int32Array[],
  stride: number,
  px: number,
  py: number,
  objectRows: readonly Int32Array[],
  w: number,
  h: number,
  bound: number,
): boolean {
  const limit = bound * w;
  let total = 0;
  const order = rowOrder(h);
  for (let r = 0; r < h; r++) {
    const y = order[r]!;
    for (let p = 0; p < sums.length; p++) {
      const at = (py + y) * stride + px;
      const d = sums[p]![at + w]! - sums[p]![at]! - objectRows[p]![y]!;
      total += d * d;
    }
    if (total > limit) return false;
  }
  return true;
}

/**
 * The order rows are summed in: every 8th row first, then the rows between.
 * Each partial sum is a lower bound of the whole, so a position that differs
 * anywhere in the area is given up after a few rows, not after the top half.
 */
const rowOrders = new Map<number, Int32Array>();
function rowOrder(h: number): Int32Array {
  let order = rowOrders.get(h);
  if (!order) {
    const rows: number[] = [];
    for (let start = 0; start < 8; start++) for (let y = start; y < h; y += 8) rows.push(y);
    order = Int32Array.from(rows);
    rowOrders.set(h, order);
  }
  return order;
}

/** Σ(scene - object)² at (px, py) over all planes; past `bound` it stops and says Infinity. */
function sumOfSquares(
  scene: readonly Uint8Array[],
  sceneWidth: number,
  px: number,
  py: number,
  object: readonly Uint8Array[],
  w: number,
  h: number,
  bound: number,
): number {
  let sum = 0;
  const order = rowOrder(h);
  for (let r = 0; r < h; r++) {
    const y = order[r]!;
    for (let p = 0; p < scene.length; p++) {
      const s = scene[p]!;
      const o = object[p]!;
      let at = (py + y) * sceneWidth + px;
      let ot = y * w;
      const end = ot + w;
      for (; ot < end; at++, ot++) {
        const d = s[at]! - o[ot]!;
        sum += d * d;
      }
    }
    if (sum > bound) return Number.POSITIVE_INFINITY;
  }
  return sum;
}
