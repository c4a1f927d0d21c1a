// A tar stream that GNU tar extracts to the same bytes, holes included, as
// `tar cSf` would make: each sparse file as a PAX "GNU sparse 1.0" member
// (the map of data extents at the start of the member's data, then the
// extents' bytes), so only the data of a 30 GiB image with 1 GiB in it is
// read and written. Small plain files (an .md5 beside the image) follow as
// ordinary members. Pure byte layout; the caller feeds the extents' data.

const block = 512;

export interface Extent {
  offset: number;
  length: number;
}

/** Pads `n` bytes to whole tar blocks. */
export const padding = (n: number) => (block - (n % block)) % block;

/** A numeric header field: octal, or GNU base-256 when it does not fit (files of 8 GiB and more). */
function numeric(value: number, width: number): Buffer {
  const field = Buffer.alloc(width);
  const octal = value.toString(8);
  if (octal.length < width) {
    field.write(octal.padStart(width - 1, "0"), 0, "ascii");
    return field;
  }
  field[0] = 0x80;
  let v = BigInt(value);
  for (let i = width - 1; i > 0; i--) {
    field[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return field;
}

function header(name: string, size: number, type: string, mtime: number): Buffer {
  const h = Buffer.alloc(block);
  h.write(name.slice(0, 100), 0, "utf8");
  numeric(0o644, 8).copy(h, 100);
  numeric(0, 8).copy(h, 108);
  numeric(0, 8).copy(h, 116);
  numeric(size, 12).copy(h, 124);
  numeric(Math.floor(mtime), 12).copy(h, 136);
  h.write(type, 156, "ascii");
  h.write("ustar\u000000", 257, "ascii");
  h.write("root", 265, "ascii");
  h.write("root", 297, "ascii");
  h.fill(" ", 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "ascii");
  return h;
}

/** A PAX record: its length counts itself, in decimal. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
  return `${length}${body}`;
}

function paxHeader(name: string, records: [string, string][], mtime: number): Buffer {
  const body = Buffer.from(records.map(([k, v]) => paxRecord(k, v)).join(""), "utf8");
  return Buffer.concat([
    header(`./PaxHeaders/${name}`.slice(0, 99), body.length, "x", mtime),
    body,
    Buffer.alloc(padding(body.length)),
  ]);
}

/**
 * What goes before a sparse file's extent data: the PAX header, the member's
 * header, and the sparse map. The extents' bytes follow, then `padding(total)`.
 */
export function sparseFileStart(name: string, size: number, extents: readonly Extent[], mtime: number) {
  // A file that ends in a hole ends its map with an empty extent at its end.
  const last = extents.at(-1);
  const map =
    last && last.offset + last.length === size ? extents : [...extents, { offset: size, length: 0 }];
  const mapText = `${map.length}\n${map.map((e) => `${e.offset}\n${e.length}\n`).join("")}`;
  const mapBlock = Buffer.concat([Buffer.from(mapText, "ascii"), Buffer.alloc(padding(mapText.length))]);
  const data = extents.reduce((n, e) => n + e.length, 0);
  const memberSize = mapBlock.length + data;
  const start = Buffer.concat([
    paxHeader(
      name,
      [
        ["GNU.sparse.major", "1"],
        ["GNU.sparse.minor", "0"],
        ["GNU.sparse.name", name],
        ["GNU.sparse.realsize", String(size)],
        ...(memberSize >= 8 * 2 ** 30 ? ([["size", String(memberSize)]] as [string, string][]) : []),
      ],
      mtime,
    ),
    header(`./GNUSparseFile.0/${name}`.slice(0, 100), memberSize, "0", mtime),
    mapBlock,
  ]);
  return { start, memberSize };
}

/** A small plain file as a whole member. */
export function plainFile(name: string, content: Buffer, mtime: number): Buffer {
  return Buffer.concat([
    header(name, content.length, "0", mtime),
    content,
    Buffer.alloc(padding(content.length)),
  ]);
}

/** The end of an archive: two zero blocks. */
export const archiveEnd = () => Buffer.alloc(2 * block);
