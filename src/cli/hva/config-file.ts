// hva's config file, for hosts that run it as a service: one option per line,
// `name = value`, with the command line's option names (`node-id = hva.demo1`);
// `#` starts a comment. The command line wins over the file, so one file can
// serve every run and a flag can still change one of them.
import { readFile } from "node:fs/promises";
import { type KeyValueLine, parseKeyValueLines } from "../../model/key-value-file.js";
import { UsageError, UserError } from "../errors.js";
import { optionWord } from "../parse.js";

/** `argv` with `--config FILE` replaced by the file's options that the command line does not give. */
export async function withConfigFile(argv: readonly string[], known: readonly string[]): Promise<string[]> {
  const at = argv.findIndex((w) => w === "--config" || w.startsWith("--config="));
  if (at < 0) return [...argv];
  const file = argv[at] === "--config" ? argv[at + 1] : argv[at]!.slice("--config=".length);
  if (!file) throw new UsageError("--config needs a file: --config /etc/wakame-vdc/hva.conf");
  const rest = [...argv.slice(0, at), ...argv.slice(at + (argv[at] === "--config" ? 2 : 1))];
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const given = new Set(
    rest.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=")[0]!.replaceAll("_", "-")),
  );
  let lines: KeyValueLine[];
  try {
    lines = parseKeyValueLines(text, "node-id = hva.demo1");
  } catch (err) {
    throw new UsageError(`${file} ${(err as Error).message}`);
  }
  const fromFile: string[] = [];
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
    if (!given.has(name)) fromFile.push(`--${name}=${value}`);
  }
  return [...rest, ...fromFile];
}
