// A console script: what a user does at the Windows console in the manual
// steps of a build (4 to 23), for one Windows version and language, as data
// (guest/windows/console-scripts/VERSION-LANGUAGE.yaml). Each step is a list
// of actions: wait for a screen (a needle tag, with a time limit), press
// keys, type text (optionally until the typed state shows), or click at a
// needle's click point. No coordinate or timing lives in code: the places
// are the needles', the limits the script's. Pure: text in, a checked script
// out, each mistake said with the step and action it is in.
import { parse as parseYaml } from "yaml";
import { parseCombo } from "../../vnc/keyboard/keys.js";
import { layouts } from "../../vnc/keyboard/layouts.js";

export type Action =
  | { kind: "wait"; tag: string; timeoutS: number; colour: boolean }
  | { kind: "keys"; combo: string; repeat: number }
  | { kind: "type"; text: string; until?: { tag: string; timeoutS: number } }
  | { kind: "click"; tag: string; timeoutS: number };

export interface ConsoleScript {
  windows: string;
  language: string;
  /** The guest's keyboard layout, which typing must follow. */
  keyboard: string;
  steps: Map<string, Action[]>;
}

export class ConsoleScriptError extends Error {}

export const defaultTimeoutS = 60;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function parseConsoleScript(text: string, name: string): ConsoleScript {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConsoleScriptError(`${name} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isObject(doc)) throw new ConsoleScriptError(`${name}: expected windows, language, keyboard and steps`);
  const field = (key: string): string => {
    const v = doc[key];
    if (typeof v !== "string" && typeof v !== "number")
      throw new ConsoleScriptError(
        `${name}: "${key}" is missing (windows: "2012", language: ja-JP, keyboard: jis)`,
      );
    return String(v);
  };
  const keyboard = field("keyboard");
  if (!(keyboard in layouts))
    throw new ConsoleScriptError(
      `${name}: keyboard '${keyboard}' is not one of ${Object.keys(layouts).join(", ")}`,
    );
  if (!isObject(doc.steps))
    throw new ConsoleScriptError(`${name}: "steps" must map step names to lists of actions`);
  const steps = new Map<string, Action[]>();
  for (const [step, list] of Object.entries(doc.steps)) {
    if (!/^\d+-M-/.test(step))
      throw new ConsoleScriptError(
        `${name}: '${step}' is not a manual step's name (such as 4-M-wait-for-ctrl-alt-delete-screen)`,
      );
    if (!Array.isArray(list) || list.length === 0)
      throw new ConsoleScriptError(`${name}, step ${step}: give a list of actions (wait, keys, type, click)`);
    steps.set(
      step,
      list.map((a, i) => parseAction(a, `${name}, step ${step}, action ${i + 1}`)),
    );
  }
  return { windows: field("windows"), language: field("language"), keyboard, steps };
}

function seconds(v: unknown, where: string): number {
  if (v === undefined) return defaultTimeoutS;
  if (typeof v !== "number" || !(v > 0) || v > 86_400)
    throw new ConsoleScriptError(`${where}: "timeout" is seconds, above 0 and at most 86400`);
  return v;
}

function tagOf(v: unknown, key: string, where: string): string {
  if (typeof v !== "string" || !/^[\w.:@+-]+$/.test(v))
    throw new ConsoleScriptError(`${where}: "${key}" names a needle tag (letters, digits, - _ . : @ +)`);
  return v;
}

function parseAction(a: unknown, where: string): Action {
  if (!isObject(a)) throw new ConsoleScriptError(`${where}: an action is wait, keys, type or click`);
  const kinds = ["wait", "keys", "type", "click"].filter((k) => k in a);
  if (kinds.length !== 1)
    throw new ConsoleScriptError(
      `${where}: give exactly one of wait, keys, type, click (it has ${kinds.join(", ") || "none"})`,
    );
  const known: Record<string, string[]> = {
    wait: ["wait", "timeout", "color"],
    keys: ["keys", "repeat"],
    type: ["type", "until", "timeout"],
    click: ["click", "timeout"],
  };
  const kind = kinds[0]!;
  const extra = Object.keys(a).filter((k) => !known[kind]!.includes(k));
  if (extra.length)
    throw new ConsoleScriptError(
      `${where}: ${kind} takes ${known[kind]!.join(", ")}, not ${extra.join(", ")}`,
    );
  switch (kind) {
    case "wait":
      return {
        kind,
        tag: tagOf(a.wait, "wait", where),
        timeoutS: seconds(a.timeout, where),
        colour: a.color === true,
      };
    case "keys": {
      if (typeof a.keys !== "string")
        throw new ConsoleScriptError(`${where}: "keys" is a combination such as ctrl-alt-delete`);
      try {
        parseCombo(a.keys);
      } catch (err) {
        throw new ConsoleScriptError(`${where}: ${(err as Error).message}`);
      }
      const repeat = a.repeat ?? 1;
      if (typeof repeat !== "number" || !Number.isInteger(repeat) || repeat < 1 || repeat > 100)
        throw new ConsoleScriptError(`${where}: "repeat" is a whole number from 1 to 100`);
      return { kind, combo: a.keys, repeat };
    }
    case "type": {
      if (typeof a.type !== "string" || a.type === "")
        throw new ConsoleScriptError(`${where}: "type" is the text to type`);
      const action: Action = { kind, text: a.type };
      if (a.until !== undefined)
        action.until = { tag: tagOf(a.until, "until", where), timeoutS: seconds(a.timeout, where) };
      else if (a.timeout !== undefined) throw new ConsoleScriptError(`${where}: "timeout" goes with "until"`);
      return action;
    }
    default:
      return { kind: "click", tag: tagOf(a.click, "click", where), timeoutS: seconds(a.timeout, where) };
  }
}

/** The script's text with its placeholders filled ({password}: the answer file's temporary password). */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const v = values[key];
    if (v === undefined)
      throw new ConsoleScriptError(
        `unknown placeholder ${whole}: the known ones are ${Object.keys(values)
          .map((k) => `{${k}}`)
          .join(", ")}`,
      );
    return v;
  });
}

/** Every needle tag a script waits for or clicks on. */
export function tagsOf(script: ConsoleScript): string[] {
  const tags = new Set<string>();
  for (const actions of script.steps.values())
    for (const a of actions) {
      if (a.kind === "wait" || a.kind === "click") tags.add(a.tag);
      if (a.kind === "type" && a.until) tags.add(a.until.tag);
    }
  return [...tags];
}
