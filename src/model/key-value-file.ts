// `name = value` files, one setting per line, `#` starting a comment: hva's
// config file and the image builder's windows-image-build.ini. Pure: the
// callers decide which names they know and what the values mean.

export interface KeyValueLine {
  name: string;
  value: string;
  /** 1-based, for messages that point at the line. */
  line: number;
}

export class KeyValueSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The settings of a file, in order. Spaces around `=` are allowed and a
 * value may be quoted ("..." or '...'), as a shell-sourced file would be.
 * A line that is not a setting is thrown, or given to `onError` (which lets
 * the reading go on, so that every problem can be shown at once).
 */
export function parseKeyValueLines(
  text: string,
  example: string,
  onError: (err: KeyValueSyntaxError) => void = (err) => {
    throw err;
  },
): KeyValueLine[] {
  const lines: KeyValueLine[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const content = raw.replace(/#.*/, "").trim();
    if (!content) continue;
    const m = /^([A-Za-z][\w-]*)\s*=\s*(.*)$/.exec(content);
    if (!m) {
      onError(new KeyValueSyntaxError(i + 1, `line ${i + 1}: write 'name = value', e.g. '${example}'`));
      continue;
    }
    const quoted = /^(["'])(.*)\1$/.exec(m[2]!.trim());
    lines.push({ name: m[1]!, value: quoted ? quoted[2]! : m[2]!.trim(), line: i + 1 });
  }
  return lines;
}
