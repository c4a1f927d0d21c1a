// The first line of each connection between two host agents during a move:
// which of the destination's sockets it is for (the incoming migration, the
// disks' NBD export; a cold move's files) and the move's token, which only dcmgr hands out, to
// the two hosts of that move. Decided here; channel.ts carries it. Pure.
import { timingSafeEqual } from "node:crypto";

/** The destination's sockets a source may reach: its QEMU's (a live move), its files' receiver (a cold one). */
export const moveStreams = ["migration", "nbd", "files"] as const;
export type MoveStream = (typeof moveStreams)[number];

/** The longest first line taken: a token is 64 hex digits. */
export const handshakeLimit = 128;

export function handshakeLine(token: string, stream: MoveStream): string {
  return `WAKAME-MOVE ${stream} ${token}\n`;
}

/** The stream a first line asks for, or why it is refused (said only to the log: the peer learns nothing). */
export function readHandshake(line: string, token: string): { stream: MoveStream } | { refused: string } {
  const m = /^WAKAME-MOVE ([a-z]+) ([0-9a-f]{1,64})$/.exec(line);
  if (!m) return { refused: "not a move's first line" };
  const stream = m[1] as MoveStream;
  if (!moveStreams.includes(stream)) return { refused: `no stream '${m[1]}'` };
  const given = Buffer.from(m[2]!);
  const wanted = Buffer.from(token);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return { refused: "not this move's token" };
  return { stream };
}
