// A shape: the named fields of one input (a command's options, an API
// request's body or query), each with its check, whether it is required and
// its default. Both the CLIs and the API validate through `parseShape`, so a
// value is refused with the same words wherever it comes from.
import { type Field, FieldError } from "./fields.js";

export interface FieldSpec<T = unknown> {
  readonly field: Field<T>;
  readonly desc: string;
  readonly required?: boolean;
  readonly default?: T;
  /** On a command line: may be given more than once, each value one item (the field takes a list). */
  readonly repeatable?: boolean;
  /** On a command line: a one-letter alias, as -o for --output. */
  readonly short?: string;
}

export type Shape = Record<string, FieldSpec>;

/** The checked values of a shape: absent ones are undefined unless they have a default. */
export type ShapeValues<S extends Shape> = {
  [K in keyof S]: S[K] extends FieldSpec<infer T> ? T | undefined : never;
};

/** What a caller sends for a shape: its required fields, and the others if it likes. */
export type ShapeInput<S extends Shape> = {
  [K in keyof S as S[K] extends { required: true } ? K : never]: FieldValue<S[K]>;
} & {
  [K in keyof S as S[K] extends { required: true } ? never : K]?: FieldValue<S[K]>;
};

type FieldValue<F> = F extends FieldSpec<infer T> ? T : never;

/** A refused input, naming the field as the caller writes it (`--cpu-cores`, `cpu_cores`). */
export class ShapeError extends Error {
  constructor(
    message: string,
    /** Missing required field or unknown field (the request is wrong), rather than a bad value. */
    readonly kind: "value" | "missing" | "unknown",
    /** The field's key in the input (`cpu_cores`): what an API error names, for a client to show it there. */
    readonly field: string,
  ) {
    super(message);
  }
}

export function parseShape<S extends Shape>(
  shape: S,
  raw: Record<string, unknown>,
  name: (key: string) => string = (k) => k,
): ShapeValues<S> {
  for (const key of Object.keys(raw)) {
    if (!(key in shape)) {
      const known = Object.keys(shape).map(name).join(", ");
      throw new ShapeError(
        `unknown field ${name(key)}: the known ones are ${known || "none"}`,
        "unknown",
        key,
      );
    }
  }
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(shape)) {
    const value = raw[key];
    if (value === undefined) {
      if (spec.required) {
        throw new ShapeError(`${name(key)} is required (${spec.field.allowed ?? spec.desc})`, "missing", key);
      }
      values[key] = spec.default;
      continue;
    }
    try {
      values[key] = spec.field.parse(value);
    } catch (err) {
      if (err instanceof FieldError) throw new ShapeError(`${name(key)}: ${err.message}`, "value", key);
      throw err;
    }
  }
  return values as ShapeValues<S>;
}

/** The given values only: a field left out leaves its column as it is. */
export function givenFields<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
