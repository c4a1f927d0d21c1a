// Pictures for the matcher's tests and benchmarks, made from a seed so that
// a run can be repeated: a screen-like frame of flat panels, bars of "text"
// and gradients, and the changes a real screen goes through (noise, a shift,
// a repainted rectangle).
import { blankImage, fillRect, type Image, type Rect } from "../../src/image/image.js";

/** A small deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Colour = [number, number, number];

/** A desktop-like frame: background gradient, windows, and rows of glyph-like marks. */
export function screenFrame(width: number, height: number, seed = 1): Image {
  const rnd = random(seed);
  const img = blankImage(width, height);
  for (let y = 0; y < height; y++)
    fillRect(img, { x: 0, y, width, height: 1 }, [20, (60 + (y * 100) / height) | 0, 120]);
  for (let w = 0; w < 12; w++) {
    const win = {
      x: (rnd() * width * 0.8) | 0,
      y: (rnd() * height * 0.8) | 0,
      width: 80 + ((rnd() * width * 0.3) | 0),
      height: 60 + ((rnd() * height * 0.3) | 0),
    };
    const bg: Colour = [200 + ((rnd() * 55) | 0), 200 + ((rnd() * 55) | 0), 200 + ((rnd() * 55) | 0)];
    fillRect(img, win, bg);
    fillRect(img, { ...win, height: 18 }, [0, 90, 180]);
    for (let line = win.y + 24; line < win.y + win.height - 10; line += 14) {
      for (let x = win.x + 6; x < win.x + win.width - 8; ) {
        const glyph = 2 + ((rnd() * 6) | 0);
        if (rnd() > 0.15) fillRect(img, { x, y: line, width: glyph, height: 9 }, [30, 30, 30]);
        x += glyph + 2;
      }
    }
  }
  return img;
}

/** Rows of glyph-like marks of several colours over `rect`: content that matches in one place only. */
export function decorate(image: Image, rect: Rect, seed = 11): void {
  const rnd = random(seed);
  fillRect(image, rect, [235, 235, 230]);
  for (let y = rect.y + 3; y + 9 <= rect.y + rect.height - 2; y += 13) {
    for (let x = rect.x + 3; x < rect.x + rect.width - 9; ) {
      const glyph = 2 + ((rnd() * 6) | 0);
      const c = (rnd() * 160) | 0;
      if (rnd() > 0.2) fillRect(image, { x, y, width: glyph, height: 9 }, [c, (c * 3) % 160, 200 - c]);
      x += glyph + 2;
    }
  }
}

/**
 * The frame with a mark in `rect`, once green and once grey of the same
 * grey level (OpenCV's conversion): what os-autoinst's matching cannot tell apart.
 */
export function greenAndGreyMarks(image: Image, rect: Rect): { green: Image; grey: Image } {
  const green = { ...image, data: image.data.slice() };
  fillRect(green, rect, [40, 200, 40]);
  const level = (40 * 4899 + 200 * 9617 + 40 * 1868 + 8192) >> 14;
  const grey = { ...image, data: image.data.slice() };
  fillRect(grey, rect, [level, level, level]);
  return { green, grey };
}

export function withNoise(image: Image, amplitude: number, seed = 7): Image {
  const rnd = random(seed);
  const out = { ...image, data: image.data.slice() };
  for (let i = 0; i < out.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      out.data[i + c] = Math.max(
        0,
        Math.min(255, out.data[i + c]! + Math.round((rnd() * 2 - 1) * amplitude)),
      );
    }
  }
  return out;
}

/** The frame with `rect`'s content moved by (dx, dy), the old place painted with `fill`. */
export function shifted(image: Image, rect: Rect, dx: number, dy: number, fill: Colour): Image {
  const out = { ...image, data: image.data.slice() };
  fillRect(out, rect, fill);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const from = ((rect.y + y) * image.width + rect.x + x) * 4;
      const to = ((rect.y + y + dy) * image.width + rect.x + x + dx) * 4;
      out.data.set(image.data.subarray(from, from + 4), to);
    }
  }
  return out;
}
