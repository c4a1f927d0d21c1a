// The config files of the services (/etc/wakame-vdc/hva.conf, dcmgr.conf):
// one option per line, `name = value`, with the command line's option names
// (`node-id = hva.demo1`); `#` starts a comment. The command line wins over
// the file, and the file over the environment (WAKAME_HOME, DATABASE_URL),
// so the service and `vdc-manage` read one truth whatever a shell exports.
import { readFile } from "node:fs/promises";
import { type KeyValueLine, parseKeyValueLines } from "../model/key-value-file.js";
import { UsageError, UserError } from "./errors.js";
import { optionWord } from "./parse.js";

/** What a command's config file may hold. */
export interface ConfigFileSpec {
  /** The command's option names, as declared (`node_id`). */
  readonly known: readonly string[];
  /** Where a package installs it, for messages. */
  readonly path: string;
  /** A line of it, for messages. */
  readonly example: string;
}

/** The file's settings, each checked to be one of the `known` options (not `config` itself). */
export async function readConfigFile(file: string, spec: ConfigFileSpec): Promise<Map<string, string>> {
  const { known, example } = spec;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  let lines: KeyValueLine[];
  try {
    lines = parseKeyValueLines(text, example);
  } catch (err) {
    throw new UsageError(`${file} ${(err as Error).message}`);
  }
  const settings = new Map<string, string>();
  for (const { name: written, value, line } of lines) {
    const name = written.replaceAll("_", "-");
    if (!known.some((k) => optionWord(k) === `--${name}`) || name === "config") {
      throw new UsageError(
        `${file} line ${line}: unknown option '${name}': use one of ${known
          .filter((k) => k !== "config")
          .map((k) => optionWord(k).slice(2))
          .join(", ")}`,
      );
    }
    settings.set(name, value);
  }
  return settings;
}

/** `argv` with `--config FILE` replaced by the file's options that the command line does not give. */
export async function withConfigFile(argv: readonly string[], spec: ConfigFileSpec): Promise<string[]> {
  const at = argv.findIndex((w) => w === "--config" || w.startsWith("--config="));
  if (at < 0) return [...argv];
  const file = argv[at] === "--config" ? argv[at + 1] : argv[at]!.slice("--config=".length);
  if (!file) throw new UsageError(`--config needs a file: --config ${spec.path}`);
  const rest = [...argv.slice(0, at), ...argv.slice(at + (argv[at] === "--config" ? 2 : 1))];
  const given = new Set(
    rest.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=")[0]!.replaceAll("_", "-")),
  );
  const settings = await readConfigFile(file, spec);
  return [...rest, ...[...settings].filter(([name]) => !given.has(name)).map(([n, v]) => `--${n}=${v}`)];
}
