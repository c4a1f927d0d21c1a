// The first line of a connection between two agents during a move: one row a case.
import assert from "node:assert/strict";
import { test } from "node:test";
import { handshakeLine, readHandshake } from "../../src/model/move-handshake.js";

const token = "0123456789abcdef".repeat(4);

const rows: [string, string, ReturnType<typeof readHandshake>][] = [
  ["a cold move's files", `WAKAME-MOVE files ${token}`, { stream: "files" }],
  ["the migration stream", handshakeLine(token, "migration").trimEnd(), { stream: "migration" }],
  ["the disks' export", handshakeLine(token, "nbd").trimEnd(), { stream: "nbd" }],
  ["another move's token", `WAKAME-MOVE nbd ${"f".repeat(64)}`, { refused: "not this move's token" }],
  ["a prefix of the token", `WAKAME-MOVE nbd ${token.slice(0, 63)}`, { refused: "not this move's token" }],
  ["an unknown stream", `WAKAME-MOVE qmp ${token}`, { refused: "no stream 'qmp'" }],
  [
    "a stream that names a property of the list",
    `WAKAME-MOVE length ${token}`,
    { refused: "no stream 'length'" },
  ],
  ["anything else (an HTTP client, a port scan)", "GET / HTTP/1.1", { refused: "not a move's first line" }],
  ["no token", "WAKAME-MOVE nbd ", { refused: "not a move's first line" }],
  ["a token with more than hex", `WAKAME-MOVE nbd ${token} x`, { refused: "not a move's first line" }],
];

for (const [name, line, expected] of rows)
  test(`move handshake: ${name}`, () => assert.deepEqual(readHandshake(line, token), expected));
