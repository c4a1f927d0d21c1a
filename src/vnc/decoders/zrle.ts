// ZRLE (RFB 3.8, 7.7.6): the rectangle's bytes through the connection's one
// zlib stream, then 64x64 tiles, each raw, one colour, a packed palette,
// runs, or runs of palette colours. Pixels are CPIXELs: 3 bytes, R G B, for
// our 32-bit format with 24 bits of colour.
import type { Image, Rect } from "../../image/image.js";
import type { SocketReader } from "../socket-reader.js";
import { InflateStream } from "../zlib-stream.js";
import type { Decoder } from "./decoder.js";
import { fillPixels, ProtocolError, put3BytePixels, rgbx } from "./decoder.js";

const TILE = 64;

export class ZrleDecoder implements Decoder {
  private readonly zlib = new InflateStream();

  async decode(rect: Rect, reader: SocketReader, fb: Image): Promise<void> {
    const length = await reader.u32();
    const data = await this.zlib.inflate(await reader.read(length));
    let at = 0;
    const need = (n: number) => {
      if (at + n > data.length) throw new ProtocolError("a ZRLE rectangle ends before its tiles do");
    };
    const cpixel = (): number => {
      need(3);
      const v = rgbx(data[at]!, data[at + 1]!, data[at + 2]!);
      at += 3;
      return v;
    };
    const runLength = (): number => {
      let n = 1;
      for (;;) {
        need(1);
        const b = data[at++]!;
        n += b;
        if (b !== 255) return n;
      }
    };
    for (let ty = rect.y; ty < rect.y + rect.height; ty += TILE) {
      for (let tx = rect.x; tx < rect.x + rect.width; tx += TILE) {
        const tile = {
          x: tx,
          y: ty,
          width: Math.min(TILE, rect.x + rect.width - tx),
          height: Math.min(TILE, rect.y + rect.height - ty),
        };
        need(1);
        const sub = data[at++]!;
        if (sub === 0) {
          need(tile.width * tile.height * 3);
          put3BytePixels(fb, tile, data, at);
          at += tile.width * tile.height * 3;
        } else if (sub === 1) {
          fillPixels(fb, tile, cpixel());
        } else if (sub <= 16) {
          const palette = Array.from({ length: sub }, cpixel);
          const bits = sub === 2 ? 1 : sub <= 4 ? 2 : 4;
          const rowBytes = Math.ceil((tile.width * bits) / 8);
          need(rowBytes * tile.height);
          const words = new Uint32Array(fb.data.buffer, fb.data.byteOffset, fb.width * fb.height);
          for (let y = 0; y < tile.height; y++) {
            for (let x = 0; x < tile.width; x++) {
              const bit = x * bits;
              const index = (data[at + (bit >> 3)]! >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
              const colour = palette[index];
              if (colour === undefined)
                throw new ProtocolError("a ZRLE tile names a colour its palette lacks");
              words[(tile.y + y) * fb.width + tile.x + x] = colour;
            }
            at += rowBytes;
          }
        } else if (sub === 128 || sub >= 130) {
          const palette = sub === 128 ? [] : Array.from({ length: sub - 128 }, cpixel);
          const words = new Uint32Array(fb.data.buffer, fb.data.byteOffset, fb.width * fb.height);
          const total = tile.width * tile.height;
          let done = 0;
          while (done < total) {
            let colour: number;
            let run = 1;
            if (sub === 128) {
              colour = cpixel();
              run = runLength();
            } else {
              need(1);
              const b = data[at++]!;
              const c = palette[b & 127];
              if (c === undefined) throw new ProtocolError("a ZRLE run names a colour its palette lacks");
              colour = c;
              if (b & 128) run = runLength();
            }
            if (done + run > total) throw new ProtocolError("a ZRLE run goes past its tile");
            for (let i = 0; i < run; i++, done++) {
              words[(tile.y + Math.floor(done / tile.width)) * fb.width + tile.x + (done % tile.width)] =
                colour;
            }
          }
        } else {
          throw new ProtocolError(`a ZRLE tile has the unused subencoding ${sub}`);
        }
      }
    }
  }
}
