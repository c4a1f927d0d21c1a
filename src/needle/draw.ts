// Pictures for people: a needle's areas drawn on a screen (needle show, the
// build report) and, for a failed match, where each area was looked for and
// how the screen differs from the needle there (the diff image).
import { cloneImage, type Image, type Rect } from "../image/image.js";
import type { LoadedNeedle, MatchResult } from "./match.js";
import type { AreaType } from "./needle.js";

type Colour = readonly [number, number, number];

export const colours: Record<AreaType | "found" | "failed", Colour> = {
  match: [0, 200, 0],
  exclude: [230, 160, 0],
  ocr: [0, 120, 255],
  found: [0, 200, 0],
  failed: [230, 0, 0],
};

/** A rectangle's border, `thickness` pixels, drawn outside it where there is room. */
export function outline(image: Image, rect: Rect, [r, g, b]: Colour, thickness = 2): void {
  const x0 = rect.x - thickness;
  const y0 = rect.y - thickness;
  const x1 = rect.x + rect.width + thickness;
  const y1 = rect.y + rect.height + thickness;
  for (let y = Math.max(0, y0); y < Math.min(image.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(image.width, x1); x++) {
      const inside = x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
      if (inside) continue;
      const o = (y * image.width + x) * 4;
      image.data[o] = r;
      image.data[o + 1] = g;
      image.data[o + 2] = b;
    }
  }
}

/** The screen (or the needle's own picture) with the needle's areas outlined by type. */
export function drawNeedle(needle: LoadedNeedle, screen: Image = needle.image): Image {
  const out = cloneImage(screen);
  for (const a of needle.areas) outline(out, a, colours[a.type]);
  return out;
}

/** The screen with each match area found outlined, green when it matched and red when not. */
export function drawResult(screen: Image, result: MatchResult): Image {
  const out = cloneImage(screen);
  for (const a of result.areas) outline(out, a, a.ok ? colours.found : colours.failed);
  return out;
}

/**
 * The diff of a failed match: the screen dimmed, and in each match area, at
 * the position found, the needle's difference from the screen in red (the
 * brighter, the more different), with the area's border red or green.
 */
export function diffImage(screen: Image, result: MatchResult): Image {
  const out = cloneImage(screen);
  for (let i = 0; i < out.data.length; i += 4) {
    out.data[i] = out.data[i]! >> 2;
    out.data[i + 1] = out.data[i + 1]! >> 2;
    out.data[i + 2] = out.data[i + 2]! >> 2;
  }
  const matchAreas = result.needle.areas.filter((a) => a.type === "match");
  result.areas.forEach((found, k) => {
    const area = matchAreas[k]!;
    const needle = result.needle.image;
    for (let y = 0; y < found.height; y++) {
      for (let x = 0; x < found.width; x++) {
        const sx = found.x + x;
        const sy = found.y + y;
        if (sx >= screen.width || sy >= screen.height) continue;
        const s = (sy * screen.width + sx) * 4;
        const n = ((area.y + y) * needle.width + area.x + x) * 4;
        const d = Math.max(
          Math.abs(screen.data[s]! - needle.data[n]!),
          Math.abs(screen.data[s + 1]! - needle.data[n + 1]!),
          Math.abs(screen.data[s + 2]! - needle.data[n + 2]!),
        );
        const grey = (screen.data[s]! + screen.data[s + 1]! + screen.data[s + 2]!) / 6;
        out.data[s] = Math.min(255, grey + d * 2);
        out.data[s + 1] = grey;
        out.data[s + 2] = grey;
      }
    }
    outline(out, found, found.ok ? colours.found : colours.failed);
  });
  return out;
}
