// CopyRect: the rectangle is a copy of another part of the screen, whose
// top-left corner follows. The two may overlap, so the source is taken first.
import { crop } from "../../image/image.js";
import type { Decoder } from "./decoder.js";
import { ProtocolError, putPixels } from "./decoder.js";

export const copyRectDecoder: Decoder = {
  async decode(rect, reader, fb) {
    const head = await reader.read(4);
    const from = { x: head.readUInt16BE(0), y: head.readUInt16BE(2), width: rect.width, height: rect.height };
    if (from.x + from.width > fb.width || from.y + from.height > fb.height)
      throw new ProtocolError(`the VNC server copies from ${from.x},${from.y}, outside its screen`);
    putPixels(fb, rect, crop(fb, from).data);
  },
};
