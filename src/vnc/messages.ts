// The client's RFB messages, as bytes (RFB 3.8 section 7.5 and QEMU's client
// message 255). Pure: the client writes what these return.

/** The server's message types (RFB 3.8 section 7.6). */
export const ServerMessage = {
  framebufferUpdate: 0,
  setColourMapEntries: 1,
  bell: 2,
  serverCutText: 3,
} as const;

/** 32 bits a pixel, 24 of colour, in the byte order of Image: R, G, B, padding. */
export function setPixelFormat(): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0;
  b.set([32, 24, 0, 1], 4); // bits per pixel, depth, big-endian flag, true colour
  b.writeUInt16BE(255, 8);
  b.writeUInt16BE(255, 10);
  b.writeUInt16BE(255, 12);
  b.set([0, 8, 16], 14); // red, green and blue shifts: little-endian R G B X
  return b;
}

export function setEncodings(encodings: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encodings.length);
  b[0] = 2;
  b.writeUInt16BE(encodings.length, 2);
  for (const [i, e] of encodings.entries()) b.writeInt32BE(e, 4 + 4 * i);
  return b;
}

export function updateRequest(incremental: boolean, width: number, height: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(width, 6);
  b.writeUInt16BE(height, 8);
  return b;
}

export function keyEvent(keysym: number, down: boolean): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(keysym, 4);
  return b;
}

/**
 * QEMU's extended key event: the key's XT scancode beside its keysym, so the
 * guest's layout, not ours, says which character it makes. Scancodes with the
 * E0 prefix travel as the low byte with its top bit set.
 */
export function qemuKeyEvent(keysym: number, scancode: number, down: boolean): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 255;
  b[1] = 0;
  b.writeUInt16BE(down ? 1 : 0, 2);
  b.writeUInt32BE(keysym, 4);
  b.writeUInt32BE(scancode >> 8 === 0xe0 ? (scancode & 0x7f) | 0x80 : scancode, 8);
  return b;
}

/** Buttons: bit 0 left, 1 middle, 2 right. x and y are absolute (QEMU's USB tablet). */
export function pointerEvent(x: number, y: number, buttons: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 5;
  b[1] = buttons;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  return b;
}
