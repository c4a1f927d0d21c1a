// Tight (the TightVNC encoding as QEMU sends it), lossless only: one colour,
// or pixels through one of four zlib streams after a filter — copy, a
// palette, or the gradient predictor. JPEG and PNG rectangles come only to a
// client that asks for a quality level; we never do, so they are an error.
// Pixels are TPIXELs: 3 bytes, R G B, for our 32-bit format.
import type { Image, Rect } from "../../image/image.js";
import type { SocketReader } from "../socket-reader.js";
import { InflateStream } from "../zlib-stream.js";
import type { Decoder } from "./decoder.js";
import { fillPixels, ProtocolError, put3BytePixels, rgbx } from "./decoder.js";

const FILL = 8;
const JPEG = 9;
const FILTER_COPY = 0;
const FILTER_PALETTE = 1;
const FILTER_GRADIENT = 2;

/** Tight's "compact length": 7 bits a byte, at most 3 bytes. */
async function compactLength(reader: SocketReader): Promise<number> {
  let length = 0;
  for (let i = 0; i < 3; i++) {
    const b = await reader.u8();
    length |= (i < 2 ? b & 0x7f : b) << (7 * i);
    if (i < 2 && !(b & 0x80)) break;
  }
  return length;
}

export class TightDecoder implements Decoder {
  private readonly streams = [0, 1, 2, 3].map(() => new InflateStream());

  async decode(rect: Rect, reader: SocketReader, fb: Image): Promise<void> {
    const control = await reader.u8();
    for (let i = 0; i < 4; i++) if (control & (1 << i)) this.streams[i]!.reset();
    const kind = control >> 4;
    if (kind === FILL) {
      const p = await reader.read(3);
      return fillPixels(fb, rect, rgbx(p[0]!, p[1]!, p[2]!));
    }
    if (kind >= JPEG)
      throw new ProtocolError(
        `the VNC server sent a Tight ${kind === JPEG ? "JPEG" : `type ${kind}`} rectangle, which was not asked for`,
      );
    const stream = this.streams[kind & 3]!;
    const filter = kind & 4 ? await reader.u8() : FILTER_COPY;
    const pixels = rect.width * rect.height;
    if (filter === FILTER_PALETTE) {
      const colours = (await reader.u8()) + 1;
      const table = await reader.read(colours * 3);
      const palette = Array.from({ length: colours }, (_, i) =>
        rgbx(table[i * 3]!, table[i * 3 + 1]!, table[i * 3 + 2]!),
      );
      const rowBytes = colours === 2 ? Math.ceil(rect.width / 8) : rect.width;
      const data = await this.pixelData(reader, stream, rowBytes * rect.height);
      const words = new Uint32Array(fb.data.buffer, fb.data.byteOffset, fb.width * fb.height);
      for (let y = 0; y < rect.height; y++) {
        for (let x = 0; x < rect.width; x++) {
          const index =
            colours === 2 ? (data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1 : data[y * rowBytes + x]!;
          const colour = palette[index];
          if (colour === undefined)
            throw new ProtocolError("a Tight rectangle names a colour its palette lacks");
          words[(rect.y + y) * fb.width + rect.x + x] = colour;
        }
      }
      return;
    }
    if (filter !== FILTER_COPY && filter !== FILTER_GRADIENT)
      throw new ProtocolError(`the VNC server sent a Tight rectangle with the unknown filter ${filter}`);
    const data = await this.pixelData(reader, stream, pixels * 3);
    if (filter === FILTER_GRADIENT) undoGradient(data, rect.width, rect.height);
    put3BytePixels(fb, rect, data);
  }

  /** `size` bytes: sent as they are below 12, else compressed with their length before them. */
  private async pixelData(reader: SocketReader, stream: InflateStream, size: number): Promise<Buffer> {
    if (size < 12) return reader.read(size);
    const data = await stream.inflate(await reader.read(await compactLength(reader)));
    if (data.length < size) throw new ProtocolError("a Tight rectangle holds fewer pixels than its size");
    return data;
  }
}

/** The gradient filter sent each colour value less its prediction, left + above - above-left. */
function undoGradient(data: Buffer, width: number, height: number): void {
  const row = width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = y * row + x * 3 + c;
        const left = x > 0 ? data[i - 3]! : 0;
        const up = y > 0 ? data[i - row]! : 0;
        const upLeft = x > 0 && y > 0 ? data[i - row - 3]! : 0;
        const predicted = Math.min(255, Math.max(0, left + up - upLeft));
        data[i] = (data[i]! + predicted) & 255;
      }
    }
  }
}
