// Options and checks that several vdc-manage commands share.
import { flagField } from "../../model/fields.js";
import type { OptionSpec } from "../command.js";
import { UsageError } from "../errors.js";

export const jsonOption: OptionSpec<boolean> = {
  field: flagField,
  desc: "Print JSON instead of text",
  default: false,
};

/** A modify command given no option would change nothing: say so instead of succeeding silently. */
export function requireSomeChange(options: Record<string, unknown>, commandWords: string): void {
  if (Object.values(options).every((v) => v === undefined)) {
    throw new UsageError(
      `nothing to change: give at least one option (see 'vdc-manage ${commandWords} --help')`,
    );
  }
}
