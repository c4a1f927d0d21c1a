// Keyboard layouts as data: what each key types alone and with Shift in the
// guest's layout. Keys are sent by position (scancodes), so to type a
// character we look up which key the guest's layout gives it: "@" is
// Shift+2 on a US keyboard and its own key on a Japanese one.
import type { KeyCode } from "./keys.js";

export interface Layout {
  name: string;
  description: string;
  /** Each key's character alone and with Shift (a space where it types none). */
  keys: Partial<Record<KeyCode, string>>;
  /** The keys that toggle Caps Lock (a JIS keyboard's is Shift+英数). */
  capsLockToggle: readonly KeyCode[];
}

const letters: Partial<Record<KeyCode, string>> = Object.fromEntries(
  [..."abcdefghijklmnopqrstuvwxyz"].map((c) => [`Key${c.toUpperCase()}`, c + c.toUpperCase()]),
);
const common: Partial<Record<KeyCode, string>> = {
  ...letters,
  Space: "  ",
  Enter: "\n\n",
  Tab: "\t\t",
  Comma: ",<",
  Period: ".>",
  Slash: "/?",
};

export const layouts: Record<string, Layout> = {
  us: {
    name: "us",
    description: "US English (101/104 keys)",
    keys: {
      ...common,
      Digit1: "1!",
      Digit2: "2@",
      Digit3: "3#",
      Digit4: "4$",
      Digit5: "5%",
      Digit6: "6^",
      Digit7: "7&",
      Digit8: "8*",
      Digit9: "9(",
      Digit0: "0)",
      Minus: "-_",
      Equal: "=+",
      BracketLeft: "[{",
      BracketRight: "]}",
      Backslash: "\\|",
      Semicolon: ";:",
      Quote: "'\"",
      Backquote: "`~",
    },
    capsLockToggle: ["CapsLock"],
  },
  jis: {
    name: "jis",
    description: "Japanese (106/109 keys, JIS)",
    keys: {
      ...common,
      Digit1: "1!",
      Digit2: '2"',
      Digit3: "3#",
      Digit4: "4$",
      Digit5: "5%",
      Digit6: "6&",
      Digit7: "7'",
      Digit8: "8(",
      Digit9: "9)",
      Digit0: "0 ",
      Minus: "-=",
      Equal: "^~",
      // The ¥ key types a backslash (0x5C), which Japanese fonts draw as ¥.
      IntlYen: "\\|",
      BracketLeft: "@`",
      BracketRight: "[{",
      Semicolon: ";+",
      Quote: ":*",
      Backslash: "]}",
      IntlRo: "\\_",
    },
    capsLockToggle: ["ShiftLeft", "CapsLock"],
  },
};

export interface Stroke {
  code: KeyCode;
  shift: boolean;
}

/** The key and Shift that type `ch` in `layout`, or undefined when none does. */
export function strokeFor(layout: Layout, ch: string): Stroke | undefined {
  for (const [code, pair] of Object.entries(layout.keys) as [KeyCode, string][]) {
    const chars = [...pair];
    if (chars[0] === ch) return { code, shift: false };
    if (chars[1] === ch && ch !== " ") return { code, shift: true };
  }
  return undefined;
}

export function layoutNamed(name: string): Layout {
  const layout = layouts[name.toLowerCase()];
  if (!layout)
    throw new Error(`unknown keyboard layout '${name}': use one of ${Object.keys(layouts).join(", ")}`);
  return layout;
}
