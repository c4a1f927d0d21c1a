// How a command declares itself: its words, its arguments, and each option
// with the field that checks it. Parsing, checking, defaults and --help all
// come from the declaration; the command's `run` only does the work.
import type { Field } from "../model/fields.js";
import type { FieldSpec, Shape, ShapeValues } from "../model/shape.js";

/** An option is a field of the command's shape. */
export type OptionSpec<T = unknown> = FieldSpec<T>;
export type OptionSpecs = Shape;
export type OptionValues<S extends OptionSpecs> = ShapeValues<S>;

export interface ArgSpec {
  readonly name: string;
  readonly required: boolean;
  /** Checks the argument as an option's field would. */
  readonly field?: Field<string>;
  /** The last argument only: takes every word left (SCREENSHOT.png...). */
  readonly many?: boolean;
}

export interface Command<S extends OptionSpecs = OptionSpecs, C = unknown> {
  readonly name: string;
  readonly summary: string;
  readonly args: readonly ArgSpec[];
  readonly options: S;
  run(ctx: C, args: string[], options: OptionValues<S>): Promise<void>;
}

export interface CommandGroup<C = unknown> {
  readonly name: string;
  readonly summary: string;
  // biome-ignore lint/suspicious/noExplicitAny: a group holds commands of every option shape
  readonly commands: readonly (Command<any, C> | CommandGroup<C>)[];
}

export function isGroup<C>(c: Command<OptionSpecs, C> | CommandGroup<C>): c is CommandGroup<C> {
  return "commands" in c;
}

/** Declares a command, keeping its option types for `run`. */
export function command<S extends OptionSpecs, C>(c: Command<S, C>): Command<S, C> {
  return c;
}

export function arg(name: string, field?: Field<string>, required = true): ArgSpec {
  return { name, required, field };
}

export function optionalArg(name: string, field?: Field<string>): ArgSpec {
  return arg(name, field, false);
}

/** One or more words at the end of the line. */
export function manyArgs(name: string, field?: Field<string>): ArgSpec {
  return { name, required: true, field, many: true };
}
