// VNC authentication (RFB security type 2): the server's 16-byte challenge
// encrypted with DES under the password, its first 8 bytes, each byte's
// bits mirrored (the quirk every VNC implementation shares).
import { desEncryptBlock } from "./des.js";

const mirror = (b: number): number => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
};

export function vncAuthResponse(password: string, challenge: Uint8Array): Buffer {
  const key = Buffer.alloc(8);
  Buffer.from(password, "latin1").copy(key, 0, 0, 8);
  for (let i = 0; i < 8; i++) key[i] = mirror(key[i]!);
  return Buffer.concat([
    desEncryptBlock(key, challenge.subarray(0, 8)),
    desEncryptBlock(key, challenge.subarray(8, 16)),
  ]);
}
