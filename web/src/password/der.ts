// Just enough DER to read an encrypted PKCS#8 key's parameters and to wrap a
// PKCS#1 RSA key as PKCS#8 (the one form WebCrypto imports). Pure.

export interface Node {
  tag: number;
  /** The content bytes. */
  body: Uint8Array;
}

export class DerError extends Error {}

/** The elements one after another in `bytes`. */
export function children(bytes: Uint8Array): Node[] {
  const out: Node[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at++]!;
    let len = bytes[at++];
    if (len === undefined) throw new DerError("cut short");
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new DerError("bad length");
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[at++]!;
    }
    if (at + len > bytes.length) throw new DerError("cut short");
    out.push({ tag, body: bytes.subarray(at, at + len) });
    at += len;
  }
  return out;
}

export function oid(body: Uint8Array): string {
  const parts = [Math.floor(body[0]! / 40), body[0]! % 40];
  let v = 0;
  for (const b of body.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

export function integer(body: Uint8Array): number {
  return body.reduce((v, b) => v * 256 + b, 0);
}

function element(tag: number, body: Uint8Array): Uint8Array {
  const len = body.length;
  const head =
    len < 0x80
      ? [len]
      : len < 0x100
        ? [0x81, len]
        : len < 0x10000
          ? [0x82, len >> 8, len & 0xff]
          : [0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(1 + head.length + len);
  out[0] = tag;
  out.set(head, 1);
  out.set(body, 1 + head.length);
  return out;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING pkcs1 }. */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  const rsaEncryption = Uint8Array.from([
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
  ]);
  return element(0x30, concat(Uint8Array.from([0x02, 0x01, 0x00]), rsaEncryption, element(0x04, pkcs1)));
}
