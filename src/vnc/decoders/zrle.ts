// ZRLE (RFB 3.8, 7.7.6): the rectangle's bytes through the connection's one
// zlib stream, then 64x64 tiles, each raw, one colour, a packed palette,
// runs, or runs of palette colours: a function each. Pixels are CPIXELs:
// 3 bytes, R G B, for our 32-bit format with 24 bits of colour. The client
// has checked the rectangle against the screen, so every tile is inside it.
import type { Image, Rect } from "../../image/image.js";
import type { SocketReader } from "../socket-reader.js";
import { InflateStream } from "../zlib-stream.js";
import type { Decoder } from "./decoder.js";
import { fillPixels, ProtocolError, put3BytePixels, rgbx } from "./decoder.js";

const TILE = 64;

/** The inflated bytes of one rectangle, read in order, each read checked against its end. */
class TileBytes {
  at = 0;
  constructor(readonly data: Uint8Array) {}

  need(n: number): void {
    if (this.at + n > this.data.length) throw new ProtocolError("a ZRLE rectangle ends before its tiles do");
  }

  u8(): number {
    this.need(1);
    return this.data[this.at++]!;
  }

  cpixel(): number {
    this.need(3);
    const d = this.data;
    const v = rgbx(d[this.at]!, d[this.at + 1]!, d[this.at + 2]!);
    this.at += 3;
    return v;
  }

  palette(size: number): number[] {
    return Array.from({ length: size }, () => this.cpixel());
  }

  /** A run's length: 1 plus bytes summed while they are 255. */
  runLength(): number {
    let n = 1;
    for (;;) {
      const b = this.u8();
      n += b;
      if (b !== 255) return n;
    }
  }
}

/** The framebuffer as 32-bit pixels, for writing a tile's pixels one by one. */
const pixelWords = (fb: Image) => new Uint32Array(fb.data.buffer, fb.data.byteOffset, fb.width * fb.height);

function rawTile(bytes: TileBytes, tile: Rect, fb: Image): void {
  const size = tile.width * tile.height * 3;
  bytes.need(size);
  put3BytePixels(fb, tile, bytes.data, bytes.at);
  bytes.at += size;
}

/** Subencodings 2-16: a palette, then rows of 1, 2 or 4-bit indexes, each row whole bytes. */
function packedPaletteTile(bytes: TileBytes, tile: Rect, fb: Image, size: number): void {
  const palette = bytes.palette(size);
  const bits = size === 2 ? 1 : size <= 4 ? 2 : 4;
  const rowBytes = Math.ceil((tile.width * bits) / 8);
  bytes.need(rowBytes * tile.height);
  const words = pixelWords(fb);
  for (let y = 0; y < tile.height; y++) {
    for (let x = 0; x < tile.width; x++) {
      const bit = x * bits;
      const index = (bytes.data[bytes.at + (bit >> 3)]! >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
      const colour = palette[index];
      if (colour === undefined) throw new ProtocolError("a ZRLE tile names a colour its palette lacks");
      words[(tile.y + y) * fb.width + tile.x + x] = colour;
    }
    bytes.at += rowBytes;
  }
}

/** Subencoding 128 (runs of CPIXELs) and 130-255 (a palette, then runs of its colours). */
function runTile(bytes: TileBytes, tile: Rect, fb: Image, paletteSize: number): void {
  const palette = bytes.palette(paletteSize);
  const words = pixelWords(fb);
  const total = tile.width * tile.height;
  for (let done = 0; done < total; ) {
    let colour: number;
    let run = 1;
    if (paletteSize === 0) {
      colour = bytes.cpixel();
      run = bytes.runLength();
    } else {
      const b = bytes.u8();
      const c = palette[b & 127];
      if (c === undefined) throw new ProtocolError("a ZRLE run names a colour its palette lacks");
      colour = c;
      if (b & 128) run = bytes.runLength();
    }
    if (done + run > total) throw new ProtocolError("a ZRLE run goes past its tile");
    for (const end = done + run; done < end; done++)
      words[(tile.y + Math.floor(done / tile.width)) * fb.width + tile.x + (done % tile.width)] = colour;
  }
}

export class ZrleDecoder implements Decoder {
  private readonly zlib = new InflateStream();

  async decode(rect: Rect, reader: SocketReader, fb: Image): Promise<void> {
    const length = await reader.u32();
    const bytes = new TileBytes(await this.zlib.inflate(await reader.read(length)));
    for (let ty = rect.y; ty < rect.y + rect.height; ty += TILE) {
      for (let tx = rect.x; tx < rect.x + rect.width; tx += TILE) {
        const tile = {
          x: tx,
          y: ty,
          width: Math.min(TILE, rect.x + rect.width - tx),
          height: Math.min(TILE, rect.y + rect.height - ty),
        };
        const sub = bytes.u8();
        if (sub === 0) rawTile(bytes, tile, fb);
        else if (sub === 1) fillPixels(fb, tile, bytes.cpixel());
        else if (sub <= 16) packedPaletteTile(bytes, tile, fb, sub);
        else if (sub === 128) runTile(bytes, tile, fb, 0);
        else if (sub >= 130) runTile(bytes, tile, fb, sub - 128);
        else throw new ProtocolError(`a ZRLE tile has the unused subencoding ${sub}`);
      }
    }
  }
}
