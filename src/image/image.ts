// A picture in memory: the VNC framebuffer, a screenshot, a needle's PNG.
// Four bytes a pixel, R G B and a fourth byte that is ignored (VNC sends
// padding there, PNG alpha is dropped): one layout everywhere, so a
// framebuffer is matched and saved without being converted.
export interface Image {
  width: number;
  height: number;
  /** width * height * 4 bytes, row by row: R, G, B, unused. */
  data: Uint8Array;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function blankImage(width: number, height: number): Image {
  return { width, height, data: new Uint8Array(width * height * 4) };
}

/** A copy of `rect` of `image` (which must hold it). */
export function crop(image: Image, rect: Rect): Image {
  const out = blankImage(rect.width, rect.height);
  const row = rect.width * 4;
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * 4;
    out.data.set(image.data.subarray(from, from + row), y * row);
  }
  return out;
}

export function cloneImage(image: Image): Image {
  return { width: image.width, height: image.height, data: image.data.slice() };
}

/** Fills `rect`, clipped to the image, with one colour. */
export function fillRect(image: Image, rect: Rect, [r, g, b]: readonly [number, number, number]): void {
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(image.width, rect.x + rect.width);
  const y1 = Math.min(image.height, rect.y + rect.height);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * 4;
      image.data[i] = r;
      image.data[i + 1] = g;
      image.data[i + 2] = b;
      image.data[i + 3] = 255;
    }
  }
}

/** Whether `rect` lies wholly inside an image of this size. */
export function holds(image: { width: number; height: number }, rect: Rect): boolean {
  return (
    rect.x >= 0 &&
    rect.y >= 0 &&
    rect.width > 0 &&
    rect.height > 0 &&
    rect.x + rect.width <= image.width &&
    rect.y + rect.height <= image.height
  );
}
