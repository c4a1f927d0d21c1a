// PNG to and from an Image (image.ts). Written for screenshots and needles:
// encoding is RGB, 8 bits, each row filtered "up" (the screens of an
// installer are mostly runs a row repeats); decoding takes what needle
// editors and screenshot tools write — grey, RGB, palette, with or without
// alpha, 1 to 16 bits — and says clearly what it does not take.
import { crc32, deflateSync, inflateSync } from "node:zlib";
import type { Image } from "./image.js";

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class PngError extends Error {}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0);
  return Buffer.concat([head, data, crc]);
}

export function encodePng(image: Image, level = 3): Buffer {
  const { width, height, data } = image;
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = y === 0 ? 0 : 2; // None for the first row, Up after it
    let i = y * width * 4;
    const above = i - width * 4;
    for (let x = 0; x < width; x++, i += 4) {
      if (y === 0) {
        raw[o++] = data[i]!;
        raw[o++] = data[i + 1]!;
        raw[o++] = data[i + 2]!;
      } else {
        const a = above + x * 4;
        raw[o++] = (data[i]! - data[a]!) & 255;
        raw[o++] = (data[i + 1]! - data[a + 1]!) & 255;
        raw[o++] = (data[i + 2]! - data[a + 2]!) & 255;
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, adaptive filters, no interlace
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const channelsOf: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function decodePng(file: Uint8Array, name = "the PNG"): Image {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(signature))
    throw new PngError(`${name} is not a PNG file`);
  let pos = 8;
  let header: { width: number; height: number; depth: number; colour: number } | undefined;
  let palette: Buffer | undefined;
  const idat: Buffer[] = [];
  for (;;) {
    if (pos + 12 > buf.length) throw new PngError(`${name} is cut short (no IEND chunk)`);
    const length = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const end = pos + 8 + length;
    if (end + 4 > buf.length) throw new PngError(`${name} is cut short in its ${type} chunk`);
    const data = buf.subarray(pos + 8, end);
    if (crc32(data, crc32(buf.subarray(pos + 4, pos + 8))) >>> 0 !== buf.readUInt32BE(end))
      throw new PngError(`${name} is damaged: the ${type} chunk's checksum is wrong`);
    pos = end + 4;
    if (type === "IHDR") {
      header = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        depth: data[8]!,
        colour: data[9]!,
      };
      if (data[12] !== 0)
        throw new PngError(`${name} is interlaced: save it again without interlacing (Adam7 is not read)`);
      if (!(header.colour in channelsOf))
        throw new PngError(`${name} has an unknown colour type ${header.colour}`);
    } else if (type === "PLTE") palette = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
  }
  if (!header) throw new PngError(`${name} has no IHDR chunk`);
  const { width, height, depth, colour } = header;
  if (colour === 3 && !palette) throw new PngError(`${name} is a palette PNG without a palette`);
  const bitsPerPixel = channelsOf[colour]! * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const step = Math.max(1, bitsPerPixel >> 3);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch {
    throw new PngError(`${name} is damaged: its image data does not inflate`);
  }
  if (raw.length < (stride + 1) * height) throw new PngError(`${name} is damaged: its image data is short`);
  unfilter(raw, stride, height, step, name);
  const out = new Uint8Array(width * height * 4);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    // A sample of `depth` bits, scaled to 8 (16-bit samples keep their high byte).
    const sample = (index: number): number => {
      if (depth === 8) return raw[row + index]!;
      if (depth === 16) return raw[row + index * 2]!;
      const bit = index * depth;
      const v = (raw[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & max;
      return colour === 3 ? v : Math.round((v * 255) / max);
    };
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const c = channelsOf[colour]!;
      if (colour === 3) {
        const p = sample(x) * 3;
        if (p + 2 >= palette!.length) throw new PngError(`${name} uses a colour its palette lacks`);
        out[o] = palette![p]!;
        out[o + 1] = palette![p + 1]!;
        out[o + 2] = palette![p + 2]!;
      } else if (colour === 0 || colour === 4) {
        out[o] = out[o + 1] = out[o + 2] = sample(x * c);
      } else {
        out[o] = sample(x * c);
        out[o + 1] = sample(x * c + 1);
        out[o + 2] = sample(x * c + 2);
      }
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/** Undoes PNG's row filters in place; `step` is the bytes a pixel (at least 1). */
function unfilter(raw: Buffer, stride: number, height: number, step: number, name: string): void {
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    const type = raw[row]!;
    const at = row + 1;
    const up = at - stride - 1;
    for (let i = 0; i < stride; i++) {
      const a = i >= step ? raw[at + i - step]! : 0;
      const b = y > 0 ? raw[up + i]! : 0;
      const c = y > 0 && i >= step ? raw[up + i - step]! : 0;
      let add: number;
      switch (type) {
        case 0:
          add = 0;
          break;
        case 1:
          add = a;
          break;
        case 2:
          add = b;
          break;
        case 3:
          add = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new PngError(`${name} is damaged: row ${y} has an unknown filter ${type}`);
      }
      raw[at + i] = (raw[at + i]! + add) & 255;
    }
  }
}
