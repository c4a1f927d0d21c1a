// How listings and records are printed: aligned columns and `Key: value`
// lines for people, and `--json` for scripts.
import { flagField } from "../model/fields.js";
import type { OptionSpec } from "./command.js";

export const jsonOption: OptionSpec<boolean> = {
  field: flagField,
  desc: "Print JSON instead of text",
  default: false,
};

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(header: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))))];
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
  for (const [key, value] of fields) {
    const text =
      value === null || value === undefined
        ? ""
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
    process.stdout.write(`${key}: ${text}\n`);
  }
}
