// What every encoding's decoder is given: the rectangle, the bytes still to
// come on the connection, and the framebuffer to draw into.
import type { Image, Rect } from "../../image/image.js";
import type { SocketReader } from "../socket-reader.js";

export interface Decoder {
  decode(rect: Rect, reader: SocketReader, fb: Image): Promise<void>;
}

export class ProtocolError extends Error {}

/** Writes rows of 4-byte pixels (R G B X) to `rect` of the framebuffer. */
export function putPixels(fb: Image, rect: Rect, pixels: Uint8Array): void {
  checkInside(fb, rect);
  const row = rect.width * 4;
  for (let y = 0; y < rect.height; y++) {
    fb.data.set(pixels.subarray(y * row, (y + 1) * row), ((rect.y + y) * fb.width + rect.x) * 4);
  }
}

/** Writes 3-byte pixels (R G B: ZRLE's CPIXEL, Tight's TPIXEL) to `rect`. */
export function put3BytePixels(fb: Image, rect: Rect, pixels: Uint8Array, offset = 0): void {
  checkInside(fb, rect);
  let i = offset;
  for (let y = 0; y < rect.height; y++) {
    let o = ((rect.y + y) * fb.width + rect.x) * 4;
    for (let x = 0; x < rect.width; x++, o += 4, i += 3) {
      fb.data[o] = pixels[i]!;
      fb.data[o + 1] = pixels[i + 1]!;
      fb.data[o + 2] = pixels[i + 2]!;
      fb.data[o + 3] = 255;
    }
  }
}

/** Fills `rect` with one 4-byte pixel value (R G B X as a little-endian 32-bit number). */
export function fillPixels(fb: Image, rect: Rect, rgbx: number): void {
  checkInside(fb, rect);
  const words = new Uint32Array(fb.data.buffer, fb.data.byteOffset, fb.width * fb.height);
  for (let y = 0; y < rect.height; y++) {
    const start = (rect.y + y) * fb.width + rect.x;
    words.fill(rgbx, start, start + rect.width);
  }
}

export const rgbx = (r: number, g: number, b: number): number =>
  (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0;

/** A rectangle past the screen's edge is a protocol error, never pixels wrapped into the next row. */
export function checkInside(fb: Image, rect: Rect): void {
  if (rect.x + rect.width > fb.width || rect.y + rect.height > fb.height)
    throw new ProtocolError(
      `the VNC server sent a rectangle ${rect.width}x${rect.height}+${rect.x}+${rect.y} outside its ${fb.width}x${fb.height} screen`,
    );
}
