// One zlib stream that lasts the whole connection (ZRLE has one, Tight four):
// each rectangle's compressed bytes are inflated in order, and the server's
// sync flush at its end means all of its pixels come out.
import { constants, createInflate, type Inflate } from "node:zlib";

export class InflateStream {
  private inflater: Inflate | undefined;
  private out: Buffer[] = [];
  private failure: Error | undefined;

  inflate(compressed: Buffer): Promise<Buffer> {
    const z = this.stream();
    return new Promise((resolve, reject) => {
      z.write(compressed);
      z.flush(constants.Z_SYNC_FLUSH, () => {
        if (this.failure) return reject(this.failure);
        const result = Buffer.concat(this.out);
        this.out = [];
        resolve(result);
      });
    });
  }

  /** Tight's reset bit: the next rectangle starts a new stream. */
  reset(): void {
    this.inflater?.destroy();
    this.inflater = undefined;
  }

  private stream(): Inflate {
    if (!this.inflater) {
      const z = createInflate();
      z.on("data", (chunk: Buffer) => this.out.push(chunk));
      z.on("error", (err) => {
        this.failure = new Error(`the VNC server's compressed data is damaged: ${err.message}`);
      });
      this.inflater = z;
      this.failure = undefined;
    }
    return this.inflater;
  }
}
