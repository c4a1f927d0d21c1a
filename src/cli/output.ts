// How listings and records are printed: aligned columns and `Key: value`
// lines for people, and `--json` for scripts; either way, a control
// character someone put in a name is printed escaped, never raw.
import { escapeControlCharacters, safeJson } from "../model/control-characters.js";
import { flagField } from "../model/fields.js";
import type { OptionSpec } from "./command.js";

export const jsonOption: OptionSpec<boolean> = {
  field: flagField,
  desc: "Print JSON instead of text",
  default: false,
};

export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(value, 2)}\n`);
}

/** A value as a person reads it on a terminal: control characters escaped, so that they print as text. */
const shown = (value: unknown): string =>
  value === null || value === undefined
    ? ""
    : escapeControlCharacters(typeof value === "object" ? safeJson(value) : String(value));

export function printTable(header: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const cells = [header, ...rows.map((r) => r.map(shown))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] as string).length)));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((c, i) => (c as string).padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
}

export function printRecord(fields: readonly (readonly [string, unknown])[]): void {
  for (const [key, value] of fields) process.stdout.write(`${key}: ${shown(value)}\n`);
}
