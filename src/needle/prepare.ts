// What os-autoinst compares: the picture in grey (OpenCV's fixed-point
// BGR2GRAY), blurred by a 3x3 Gaussian (OpenCV's bit-exact [1 2 1]/4 filter,
// edges mirrored without repeating the edge pixel) so that a pixel's shift
// or a font's smoothing costs little. Exclude areas are painted pure green
// first, as os-autoinst paints them on both pictures. The colour-aware mode
// prepares each of R, G and B the same way instead of the grey.
import type { Image, Rect } from "../image/image.js";

export type Plane = "grey" | "red" | "green" | "blue";

const excludedColour = [0, 255, 0] as const;

function sampleOf(plane: Plane, r: number, g: number, b: number): number {
  switch (plane) {
    case "grey":
      return (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14;
    case "red":
      return r;
    case "green":
      return g;
    case "blue":
      return b;
  }
}

const mirror = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);

/**
 * The blurred `plane` of `rect` of `image` (rect inside the image), its
 * neighbours outside the rect taken from the image as OpenCV's filter does.
 */
export function prepare(image: Image, rect: Rect, plane: Plane, excludes: readonly Rect[] = []): Uint8Array {
  const { width: W, height: H, data } = image;
  const w = rect.width + 2;
  const h = rect.height + 2;
  const flat = new Uint8Array(w * h);
  const columns = Int32Array.from({ length: w }, (_, i) => mirror(rect.x - 1 + i, W));
  const excluded = sampleOf(plane, ...excludedColour);
  for (let j = 0; j < h; j++) {
    const y = mirror(rect.y - 1 + j, H);
    const row = y * W;
    const out = j * w;
    // The exclude areas that cross this row, as column ranges.
    const cut = excludes.filter((e) => y >= e.y && y < e.y + e.height);
    for (let i = 0; i < w; i++) {
      const x = columns[i]!;
      if (cut.length > 0 && cut.some((e) => x >= e.x && x < e.x + e.width)) {
        flat[out + i] = excluded;
        continue;
      }
      const o = (row + x) * 4;
      flat[out + i] =
        plane === "grey"
          ? (data[o]! * 4899 + data[o + 1]! * 9617 + data[o + 2]! * 1868 + 8192) >> 14
          : data[o + (plane === "red" ? 0 : plane === "green" ? 1 : 2)]!;
    }
  }
  const out = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const a = y * w;
    const m = a + w;
    const c = m + w;
    for (let x = 0; x < rect.width; x++) {
      const s =
        flat[a + x]! +
        2 * flat[a + x + 1]! +
        flat[a + x + 2]! +
        2 * (flat[m + x]! + 2 * flat[m + x + 1]! + flat[m + x + 2]!) +
        flat[c + x]! +
        2 * flat[c + x + 1]! +
        flat[c + x + 2]!;
      out[y * rect.width + x] = (s + 8) >> 4;
    }
  }
  return out;
}
