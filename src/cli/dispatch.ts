// Finds the command a command line names, prints help, runs it, and turns
// every refusal into one line on stderr with a non-zero exit status.
import { escapeControlCharacters } from "../model/control-characters.js";
import { type Command, type CommandGroup, isGroup, type OptionSpecs } from "./command.js";
import { UsageError, UserError } from "./errors.js";
import { argWord, optionWord, parseLine } from "./parse.js";

export interface Program<C> {
  /** A group of commands (vdc-manage), or one command (dcmgr). */
  // biome-ignore lint/suspicious/noExplicitAny: a program's commands have every option shape
  readonly root: CommandGroup<C> | Command<any, C>;
  /** Opens what the commands need (the store); called only when a command runs. */
  openContext(): Promise<C>;
  closeContext(ctx: C): Promise<void>;
  /** Rewrites the command line before it is parsed (hva reads its --config file here). */
  expandArgs?(argv: readonly string[]): Promise<readonly string[]>;
}

/** For the programs whose commands need nothing opened first. */
export const noContext = { openContext: async () => undefined, closeContext: async () => {} };

export async function runProgram<C>(program: Program<C>, argv: readonly string[]): Promise<number> {
  const name = program.root.name;
  // `vdc-manage host show | head`: a reader that stops early is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  try {
    await dispatch(program, program.expandArgs ? await program.expandArgs(argv) : argv);
    return 0;
  } catch (err) {
    // A message may quote a server's words or a value given: it prints as text.
    if (err instanceof UserError) {
      process.stderr.write(`${name}: ${escapeControlCharacters(err.message, "\n")}\n`);
      return err.exitCode;
    }
    // Not a refusal of the user's input: say what failed, still on one line.
    process.stderr.write(
      `${name}: internal error: ${escapeControlCharacters((err as Error).message ?? String(err), "\n")}\n`,
    );
    if (process.env.WAKAME_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 70;
  }
}

async function dispatch<C>(program: Program<C>, argv: readonly string[]): Promise<void> {
  let node: Command<OptionSpecs, C> | CommandGroup<C> = program.root;
  let line = program.root.name;
  let i = 0;
  while (isGroup(node)) {
    const word: string | undefined = argv[i];
    if (word === undefined || word === "--help" || word === "-h" || word === "help") {
      process.stdout.write(groupHelp(node, line));
      if (word === undefined) throw new UsageError(`which command? see '${line} --help'`);
      return;
    }
    const next: Command<OptionSpecs, C> | CommandGroup<C> | undefined = node.commands.find(
      (c) => c.name === word,
    );
    if (!next) {
      const names = node.commands.map((c) => c.name).join(", ");
      throw new UsageError(`unknown command '${word}' for '${line}': use one of ${names}`);
    }
    node = next;
    line = `${line} ${word}`;
    i++;
  }
  const rest = argv.slice(i);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(commandHelp(node, line));
    return;
  }
  const { args, options } = parseLine(rest, node.args, node.options, line);
  const ctx = await program.openContext();
  try {
    await node.run(ctx, args, options);
  } finally {
    await program.closeContext(ctx);
  }
}

function groupHelp<C>(group: CommandGroup<C>, line: string): string {
  const width = Math.max(...group.commands.map((c) => c.name.length)) + 2;
  const rows = group.commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `Usage: ${line} COMMAND ...\n\n${group.summary}\n\nCommands:\n${rows.join("\n")}\n\nSee '${line} COMMAND --help' for each command's options.\n`;
}

function commandHelp<C>(cmd: Command<OptionSpecs, C>, line: string): string {
  const usage = [line, ...cmd.args.map(argWord), "[options]"].join(" ");
  const rows = Object.entries(cmd.options).map(([key, spec]) => {
    // A repeatable option takes one item each time it is given.
    const type = spec.repeatable ? spec.field.type.replace(/^list of /, "") : spec.field.type;
    const value = spec.field.type === "flag" ? "" : `=${type.toUpperCase()}`;
    const notes = [
      spec.required ? "required" : undefined,
      spec.repeatable ? spec.field.allowed?.replace(/^a list, each /, "") : spec.field.allowed,
      spec.default !== undefined
        ? `default: ${spec.field.show ? spec.field.show(spec.default) : String(spec.default)}`
        : undefined,
    ].filter(Boolean);
    const tail = notes.length ? ` (${notes.join("; ")})` : "";
    const short = spec.short ? `-${spec.short}, ` : "";
    const again = spec.repeatable ? "; may be given more than once" : "";
    return { left: `${short}${optionWord(key)}${value}`, right: `${spec.desc}${tail}${again}` };
  });
  rows.push({ left: "--help", right: "Show this help" });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  const body = rows.map((r) => `  ${r.left.padEnd(width)}${r.right}`).join("\n");
  return `Usage: ${usage}\n\n${cmd.summary}\n\nOptions:\n${body}\n`;
}
