// Raw: every pixel of the rectangle, row by row, in our pixel format.
import type { Decoder } from "./decoder.js";
import { putPixels } from "./decoder.js";

export const rawDecoder: Decoder = {
  async decode(rect, reader, fb) {
    putPixels(fb, rect, await reader.read(rect.width * rect.height * 4));
  },
};
