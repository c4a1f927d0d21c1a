// Command-line options as the original's Thor parser took them:
// `--name=value`, `--name value`, `--flag`, `--no-flag`, with dashes and
// underscores alike (`--cpu-cores`, `--cpu_cores`). Unknown options are
// refused with the nearest known one, where the original silently ignored them.
import { FieldError } from "../model/fields.js";
import { parseShape, ShapeError } from "../model/shape.js";
import type { ArgSpec, OptionSpecs, OptionValues } from "./command.js";
import { UsageError, UserError } from "./errors.js";

export const optionWord = (key: string) => `--${key.replaceAll("_", "-")}`;

export interface ParsedLine<S extends OptionSpecs> {
  args: string[];
  options: OptionValues<S>;
}

export function parseLine<S extends OptionSpecs>(
  words: readonly string[],
  argSpecs: readonly ArgSpec[],
  specs: S,
  commandLine: string,
): ParsedLine<S> {
  const args: string[] = [];
  const raw = new Map<string, string | boolean | string[]>();
  const shorts = new Map<string, string>(
    Object.entries(specs).flatMap(([key, spec]): [string, string][] =>
      spec.short ? [[`-${spec.short}`, key]] : [],
    ),
  );
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    if (word === "--") {
      args.push(...words.slice(i + 1));
      break;
    }
    const short = shorts.get(word);
    if (short) word = optionWord(short);
    if (!word.startsWith("--")) {
      args.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = (eq < 0 ? word.slice(2) : word.slice(2, eq)).replaceAll("-", "_");
    const inline = eq < 0 ? undefined : word.slice(eq + 1);
    const negated = name.startsWith("no_") && !(name in specs) ? name.slice(3) : undefined;
    const key = negated ?? name;
    const spec = specs[key];
    if (!spec) throw new UsageError(unknownOption(word, specs, commandLine));
    if (raw.has(key) && !spec.repeatable)
      throw new UsageError(`${optionWord(key)} is given twice; give it once`);
    if (spec.repeatable) {
      const next = inline ?? words[++i];
      if (next === undefined)
        throw new UsageError(`${word} needs a value: ${word}=VALUE (${spec.field.allowed ?? spec.desc})`);
      const list = raw.get(key);
      raw.set(key, [...(Array.isArray(list) ? list : []), next]);
    } else if (spec.field.type === "flag") {
      raw.set(key, negated ? false : (inline ?? true));
    } else if (negated) {
      throw new UsageError(
        `${word}: only flags can be turned off with --no-; ${optionWord(key)} takes a value`,
      );
    } else if (inline !== undefined) {
      raw.set(key, inline);
    } else {
      const next = words[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`${word} needs a value: ${word}=VALUE (${spec.field.allowed ?? spec.desc})`);
      }
      raw.set(key, next);
      i++;
    }
  }

  const required = argSpecs.filter((a) => a.required).length;
  if (args.length < required) {
    const missing = argSpecs[args.length]!.name;
    throw new UsageError(
      `missing ${missing}: usage: ${commandLine} ${argSpecs.map(argWord).join(" ")} [options]`,
    );
  }
  const many = argSpecs.at(-1)?.many === true;
  if (args.length > argSpecs.length && !many) {
    throw new UsageError(
      `unexpected argument '${args[argSpecs.length]}': usage: ${commandLine} ${argSpecs.map(argWord).join(" ")} [options]`,
    );
  }

  args.forEach((value, i) => {
    const spec = argSpecs[Math.min(i, argSpecs.length - 1)]!;
    if (!spec.field) return;
    try {
      args[i] = spec.field.parse(value);
    } catch (err) {
      if (err instanceof FieldError) throw new UserError(`${spec.name}: ${err.message}`);
      throw err;
    }
  });

  try {
    return { args, options: parseShape(specs, Object.fromEntries(raw), optionWord) };
  } catch (err) {
    if (err instanceof ShapeError)
      throw err.kind === "value" ? new UserError(err.message) : new UsageError(err.message);
    throw err;
  }
}

export const argWord = (a: ArgSpec) => (a.many ? `${a.name}...` : a.required ? a.name : `[${a.name}]`);

function unknownOption(word: string, specs: OptionSpecs, commandLine: string): string {
  const name = word.replace(/=.*/, "").slice(2).replaceAll("_", "-");
  const known = Object.keys(specs).map((k) => k.replaceAll("_", "-"));
  const near = known
    .map((k) => ({ k, d: k.startsWith(name) ? 0 : editDistance(name, k) }))
    .filter((c) => c.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  const hint = near ? `did you mean --${near.k}? ` : "";
  return `unknown option --${name} for '${commandLine}': ${hint}see '${commandLine} --help'`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
