// The kinds of value an operator or a user can give, each with the one check
// that decides whether a raw value is acceptable and the words that explain
// what is. Pure: the CLI and the API both build their validation from these.

import { controlCharacterIn, controlName } from "./control-characters.js";
import { ipv4Problem } from "./ipv4.js";
import { type ResourceKind, uuidProblem } from "./uuid.js";

/** A value that was refused; `message` says what is allowed, without naming the option. */
export class FieldError extends Error {}

export interface Field<T> {
  /** "integer", "flag", ...: for help texts. */
  readonly type: string;
  /** Allowed values in a few words, shown by --help. */
  readonly allowed?: string;
  /** Turns a raw value (command-line text, a flag's `true`, a JSON value) into a checked value. */
  parse(raw: unknown): T;
  /** A checked value as a user would type it (defaults in --help), where String() would not do. */
  show?(value: T): string;
}

function text(raw: unknown, what: string): string {
  if (typeof raw === "string") return raw;
  if (raw === true) throw new FieldError(`needs a value (${what})`);
  throw new FieldError(`must be text (${what}), not ${describeJson(raw)}`);
}

/** A JSON value in a few words, for messages. */
function describeJson(raw: unknown): string {
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "a list";
  return typeof raw === "object" ? "an object" : `${typeof raw} ${JSON.stringify(raw)}`;
}

/**
 * Text up to `max` characters, matching `pattern` if given. Control
 * characters are refused (text someone else will read must stay text),
 * but for those `lines` allows: tab, carriage return and newline, in text
 * made of lines (security group rules, user data, a key file).
 */
export function textField(
  opts: { max?: number; pattern?: RegExp; patternWords?: string; lines?: boolean } = {},
): Field<string> {
  const max = opts.max ?? 255;
  return {
    type: "text",
    allowed: opts.patternWords,
    parse(raw) {
      const value = text(raw, opts.patternWords ?? `text up to ${max} characters`);
      if (value.length > max)
        throw new FieldError(`is ${value.length} characters long; at most ${max} are allowed`);
      const control = controlCharacterIn(value, opts.lines ? "\t\r\n" : "");
      if (control !== null)
        throw new FieldError(
          `holds the control character ${controlName(control)}: give ${opts.lines ? "lines of text" : "text on one line"} without control characters`,
        );
      if (opts.pattern && !opts.pattern.test(value)) {
        throw new FieldError(`'${value}' is not valid: use ${opts.patternWords}`);
      }
      return value;
    },
  };
}

export function uuidField(kind: ResourceKind): Field<string> {
  return {
    type: "uuid",
    parse(raw) {
      const value = text(raw, "a uuid");
      const problem = uuidProblem(kind, value);
      if (problem) throw new FieldError(`'${value}' ${problem}`);
      return value;
    },
  };
}

export function intField(opts: { min?: number; max?: number } = {}): Field<number> {
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const words = min === 1 ? "a positive whole number" : `a whole number from ${min}`;
  return {
    type: "integer",
    allowed: max === Number.MAX_SAFE_INTEGER ? words : `${words} up to ${max}`,
    parse(raw) {
      const value = typeof raw === "number" ? String(raw) : text(raw, words);
      if (!/^-?\d+$/.test(value.trim())) throw new FieldError(`'${value}' is not ${words}`);
      const n = Number(value.trim());
      if (n < min) throw new FieldError(`'${value}' is too small: it must be ${words}`);
      if (n > max || !Number.isSafeInteger(n))
        throw new FieldError(`'${value}' is too large: at most ${max}`);
      return n;
    },
  };
}

export function enumField<const V extends string>(values: readonly V[]): Field<V> {
  const words = values.join(", ");
  return {
    type: "choice",
    allowed: `one of ${words}`,
    parse(raw) {
      const value = text(raw, `one of ${words}`);
      if (!(values as readonly string[]).includes(value)) {
        throw new FieldError(`'${value}' is not allowed: use one of ${words}`);
      }
      return value as V;
    },
  };
}

export const md5Field: Field<string> = {
  type: "md5",
  allowed: "32 hexadecimal digits, as md5sum prints",
  parse(raw) {
    const value = text(raw, "an md5 checksum");
    if (!/^[0-9a-fA-F]{32}$/.test(value)) {
      throw new FieldError(`'${value}' is not an md5 checksum: give the 32 hexadecimal digits md5sum prints`);
    }
    return value.toLowerCase();
  },
};

export const flagField: Field<boolean> = {
  type: "flag",
  parse(raw) {
    if (typeof raw === "boolean") return raw;
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new FieldError(`'${typeof raw === "string" ? raw : describeJson(raw)}' is not true or false`);
  },
};

export const ipv4Field: Field<string> = {
  type: "ipv4",
  allowed: "a dotted IPv4 address such as 10.0.2.2",
  parse(raw) {
    const value = text(raw, "an IPv4 address");
    const problem = ipv4Problem(value);
    if (problem) throw new FieldError(`'${value}' ${problem}`);
    return value;
  },
};

/** Where backup objects live: a local directory or a web server. */
export const baseUriField: Field<string> = {
  type: "uri",
  allowed: "file:///path/ or http(s)://host/path/",
  parse(raw) {
    const value = text(raw, "a URI");
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new FieldError(`'${value}' is not a URI: use file:///path/ or http(s)://host/path/`);
    }
    if (!["file:", "http:", "https:"].includes(url.protocol)) {
      throw new FieldError(
        `'${value}' has scheme ${url.protocol.slice(0, -1)}: use file:///path/ or http(s)://host/path/`,
      );
    }
    if (url.protocol === "file:" && (url.host !== "" || !url.pathname.startsWith("/"))) {
      throw new FieldError(`'${value}' is not a local path: write file:///absolute/path/ (three slashes)`);
    }
    return value.endsWith("/") ? value : `${value}/`;
  },
};

/** The non-empty items of a comma-separated value, each once, in order; `none` says what to give when there are none. */
function commaList(raw: unknown, what: string, none: string): string[] {
  const items = text(raw, what)
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new FieldError(none);
  return [...new Set(items)];
}

/** Several file paths, comma-separated (certificates to enroll, say). */
export const fileListField: Field<string[]> = {
  type: "file,...",
  allowed: "FILE[,FILE...]",
  parse: (raw) => commaList(raw, "one or more file paths", "give at least one file"),
};

/** Several http(s) URLs, comma-separated: the API servers a host agent may use, in order. */
export const httpUrlListField: Field<string[]> = {
  type: "url,...",
  allowed: "http(s)://host:port[,http(s)://host:port...]",
  parse(raw) {
    const urls = commaList(raw, "one or more URLs", "give at least one URL: http://127.0.0.1:9001");
    return [...new Set(urls.map((u) => httpUrlField.parse(u)))];
  },
};

/** A web server's root, such as dcmgr's: http(s)://host:port, without a trailing slash. */
export const httpUrlField: Field<string> = {
  type: "url",
  allowed: "http(s)://host:port",
  parse(raw) {
    const value = text(raw, "a URL");
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {}
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new FieldError(`'${value}' is not an http(s) URL: write it as http://127.0.0.1:9001`);
    }
    return value.replace(/\/+$/, "");
  },
};

/** A list of values of one field; a single value counts as a list of one (form bodies send `name[]=a`). */
export function listField<T>(item: Field<T>, opts: { max?: number } = {}): Field<T[]> {
  const max = opts.max ?? 100;
  return {
    type: `list of ${item.type}`,
    allowed: item.allowed && `a list, each ${item.allowed}`,
    parse(raw) {
      const items = Array.isArray(raw) ? raw : [raw];
      if (items.length > max) throw new FieldError(`has ${items.length} items; at most ${max} are allowed`);
      return items.map((v, i) => {
        try {
          return item.parse(v);
        } catch (err) {
          if (err instanceof FieldError && items.length > 1)
            throw new FieldError(`item ${i + 1}: ${err.message}`);
          throw err;
        }
      });
    },
  };
}
