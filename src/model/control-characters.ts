// Control characters (C0, DEL and C1) in text that someone else wrote: a
// display name holding ESC[2J clears the terminal of whoever lists it, and
// one holding a newline breaks a YAML answer. Refused where text comes in,
// escaped where it goes out to a terminal. Pure.

/** U+0000–U+001F, U+007F and U+0080–U+009F. */
const isControl = (code: number) => code < 0x20 || (code >= 0x7f && code <= 0x9f);

/** The first control character of `text` that `allowed` does not name, or null. */
export function controlCharacterIn(text: string, allowed = ""): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (isControl(text.charCodeAt(i)) && !allowed.includes(c)) return c;
  }
  return null;
}

/** How a control character is written in a message: \n, \t, \x1b, \x9b. */
export function controlName(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\t") return "\\t";
  if (c === "\r") return "\\r";
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/** `text` with every control character but those `kept` written as its escape, so that it prints as text. */
export function escapeControlCharacters(text: string, kept = ""): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    out += isControl(text.charCodeAt(i)) && !kept.includes(c) ? controlName(c) : c;
  }
  return out;
}

/**
 * JSON text with DEL and the C1 controls escaped as \u00XX too
 * (JSON.stringify escapes only C0): no control character is left raw.
 */
export function escapeJsonControls(json: string): string {
  let out = "";
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    out += code >= 0x7f && code <= 0x9f ? `\\u00${code.toString(16)}` : json[i];
  }
  return out;
}

/** JSON.stringify with no control character left raw. */
export const safeJson = (value: unknown, indent?: number): string =>
  escapeJsonControls(JSON.stringify(value, null, indent));
