// The console scripts shipped with the builder, one per Windows version and
// language (guest/windows/console-scripts/), and reading one.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../../package-root.js";
import { type ConsoleScript, ConsoleScriptError, parseConsoleScript } from "./console-script.js";

export function shippedConsoleScript(version: string, language: string): string {
  return join(packageRoot(), "guest", "windows", "console-scripts", `${version}-${language}.yaml`);
}

export async function loadConsoleScript(path: string): Promise<ConsoleScript> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ConsoleScriptError(
      `cannot read the console script ${path}: set CONSOLE_SCRIPT to one that exists`,
    );
  }
  return parseConsoleScript(text, path);
}
