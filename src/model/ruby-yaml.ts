// YAML as the original API's Ruby server wrote it: symbol keys (`:id:`), one
// key a line, so that shell clients can `grep ":address:" | awk '{print $2}'`;
// base64 blobs as `|` literal blocks wrapped at 60 columns. Pure.

import { controlCharacterIn, safeJson } from "./control-characters.js";

/** Keys whose string values are base64 blobs, emitted as literal blocks. */
const blobKeys = new Set(["encrypted_password"]);

export function toRubyYaml(value: unknown): string {
  return `---${emit(value, 0, true)}\n`;
}

function emit(value: unknown, indent: number, top = false): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return " []";
    return value
      .map((item) => {
        const inner = emit(item, indent + 2);
        // A hash in a list starts on the dash's line, as Psych writes it.
        return isHash(item) && Object.keys(item).length > 0
          ? `\n${pad}-${inner.replace(/^\n\s*/, " ")}`
          : `\n${pad}-${inner}`;
      })
      .join("");
  }
  if (isHash(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return " {}";
    const keyPad = top ? "" : pad;
    return entries
      .map(([k, v]) => {
        if (typeof v === "string" && blobKeys.has(k)) return `\n${keyPad}:${k}: |${literal(v, indent + 2)}`;
        return `\n${keyPad}:${k}:${emit(v, top ? 2 : indent + 2)}`;
      })
      .join("");
  }
  return ` ${scalar(value)}`;
}

function isHash(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function literal(text: string, indent: number): string {
  const pad = " ".repeat(indent);
  const lines = text.replace(/\s+/g, "").match(/.{1,60}/g) ?? [];
  return lines.map((l) => `\n${pad}${l}`).join("");
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = String(v);
  // A JSON string is a YAML double-quoted one: every control character escaped.
  return plainIsSafe(s) ? s : safeJson(s);
}

/** Whether a string reads back as the same string when written without quotes. */
function plainIsSafe(s: string): boolean {
  if (s === "" || s !== s.trim() || controlCharacterIn(s) !== null) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`~]/.test(s)) return false;
  if (/[\n\t]|: | #|:$/.test(s)) return false;
  if (/^(true|false|yes|no|on|off|null|~|y|n)$/i.test(s)) return false;
  if (/^[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?$/.test(s) || /^0[xo]/i.test(s)) return false;
  if (/^\d{4}-\d\d-\d\d/.test(s)) return false;
  return true;
}
