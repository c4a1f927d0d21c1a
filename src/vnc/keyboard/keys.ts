// The keys of a PC keyboard by position, named as the web names them
// (KeyboardEvent.code), with the XT scancode QEMU's extended key event
// carries (E0-prefixed keys as 0xE0nn) and the keysym of the key's US
// meaning. What a key types is the guest's layout's business (layouts.ts).

export const keys = {
  Escape: [0x01, 0xff1b],
  Digit1: [0x02, 0x31],
  Digit2: [0x03, 0x32],
  Digit3: [0x04, 0x33],
  Digit4: [0x05, 0x34],
  Digit5: [0x06, 0x35],
  Digit6: [0x07, 0x36],
  Digit7: [0x08, 0x37],
  Digit8: [0x09, 0x38],
  Digit9: [0x0a, 0x39],
  Digit0: [0x0b, 0x30],
  Minus: [0x0c, 0x2d],
  Equal: [0x0d, 0x3d],
  Backspace: [0x0e, 0xff08],
  Tab: [0x0f, 0xff09],
  KeyQ: [0x10, 0x71],
  KeyW: [0x11, 0x77],
  KeyE: [0x12, 0x65],
  KeyR: [0x13, 0x72],
  KeyT: [0x14, 0x74],
  KeyY: [0x15, 0x79],
  KeyU: [0x16, 0x75],
  KeyI: [0x17, 0x69],
  KeyO: [0x18, 0x6f],
  KeyP: [0x19, 0x70],
  BracketLeft: [0x1a, 0x5b],
  BracketRight: [0x1b, 0x5d],
  Enter: [0x1c, 0xff0d],
  ControlLeft: [0x1d, 0xffe3],
  KeyA: [0x1e, 0x61],
  KeyS: [0x1f, 0x73],
  KeyD: [0x20, 0x64],
  KeyF: [0x21, 0x66],
  KeyG: [0x22, 0x67],
  KeyH: [0x23, 0x68],
  KeyJ: [0x24, 0x6a],
  KeyK: [0x25, 0x6b],
  KeyL: [0x26, 0x6c],
  Semicolon: [0x27, 0x3b],
  Quote: [0x28, 0x27],
  Backquote: [0x29, 0x60],
  ShiftLeft: [0x2a, 0xffe1],
  Backslash: [0x2b, 0x5c],
  KeyZ: [0x2c, 0x7a],
  KeyX: [0x2d, 0x78],
  KeyC: [0x2e, 0x63],
  KeyV: [0x2f, 0x76],
  KeyB: [0x30, 0x62],
  KeyN: [0x31, 0x6e],
  KeyM: [0x32, 0x6d],
  Comma: [0x33, 0x2c],
  Period: [0x34, 0x2e],
  Slash: [0x35, 0x2f],
  ShiftRight: [0x36, 0xffe2],
  NumpadMultiply: [0x37, 0xffaa],
  AltLeft: [0x38, 0xffe9],
  Space: [0x39, 0x20],
  CapsLock: [0x3a, 0xffe5],
  F1: [0x3b, 0xffbe],
  F2: [0x3c, 0xffbf],
  F3: [0x3d, 0xffc0],
  F4: [0x3e, 0xffc1],
  F5: [0x3f, 0xffc2],
  F6: [0x40, 0xffc3],
  F7: [0x41, 0xffc4],
  F8: [0x42, 0xffc5],
  F9: [0x43, 0xffc6],
  F10: [0x44, 0xffc7],
  NumLock: [0x45, 0xff7f],
  ScrollLock: [0x46, 0xff14],
  Numpad7: [0x47, 0xffb7],
  Numpad8: [0x48, 0xffb8],
  Numpad9: [0x49, 0xffb9],
  NumpadSubtract: [0x4a, 0xffad],
  Numpad4: [0x4b, 0xffb4],
  Numpad5: [0x4c, 0xffb5],
  Numpad6: [0x4d, 0xffb6],
  NumpadAdd: [0x4e, 0xffab],
  Numpad1: [0x4f, 0xffb1],
  Numpad2: [0x50, 0xffb2],
  Numpad3: [0x51, 0xffb3],
  Numpad0: [0x52, 0xffb0],
  NumpadDecimal: [0x53, 0xffae],
  IntlBackslash: [0x56, 0x3c],
  F11: [0x57, 0xffc8],
  F12: [0x58, 0xffc9],
  // The Japanese keyboard's own keys: かな, ろ, 変換, 無変換, ¥ (半角/全角 is Backquote).
  KanaMode: [0x70, 0xff27],
  IntlRo: [0x73, 0x5c],
  Convert: [0x79, 0xff23],
  NonConvert: [0x7b, 0xff22],
  IntlYen: [0x7d, 0xa5],
  NumpadEnter: [0xe01c, 0xff8d],
  ControlRight: [0xe01d, 0xffe4],
  NumpadDivide: [0xe035, 0xffaf],
  PrintScreen: [0xe037, 0xff61],
  AltRight: [0xe038, 0xffea],
  Home: [0xe047, 0xff50],
  ArrowUp: [0xe048, 0xff52],
  PageUp: [0xe049, 0xff55],
  ArrowLeft: [0xe04b, 0xff51],
  ArrowRight: [0xe04d, 0xff53],
  End: [0xe04f, 0xff57],
  ArrowDown: [0xe050, 0xff54],
  PageDown: [0xe051, 0xff56],
  Insert: [0xe052, 0xff63],
  Delete: [0xe053, 0xffff],
  MetaLeft: [0xe05b, 0xffeb],
  MetaRight: [0xe05c, 0xffec],
  ContextMenu: [0xe05d, 0xff67],
} as const satisfies Record<string, readonly [number, number]>;

export type KeyCode = keyof typeof keys;

export const scancodeOf = (code: KeyCode): number => keys[code][0];
export const keysymOf = (code: KeyCode): number => keys[code][1];

/**
 * Short names for keys in scripts, as openQA's send_key writes them
 * ("ctrl-alt-delete", "ret", "alt-f4"), and the Japanese keys' own names.
 */
const aliases: Record<string, KeyCode> = {
  ctrl: "ControlLeft",
  alt: "AltLeft",
  shift: "ShiftLeft",
  super: "MetaLeft",
  win: "MetaLeft",
  ret: "Enter",
  enter: "Enter",
  esc: "Escape",
  tab: "Tab",
  spc: "Space",
  space: "Space",
  backspace: "Backspace",
  delete: "Delete",
  del: "Delete",
  insert: "Insert",
  home: "Home",
  end: "End",
  pgup: "PageUp",
  pgdn: "PageDown",
  up: "ArrowUp",
  down: "ArrowDown",
  left: "ArrowLeft",
  right: "ArrowRight",
  menu: "ContextMenu",
  capslock: "CapsLock",
  numlock: "NumLock",
  zenkaku: "Backquote",
  hankaku: "Backquote",
  "半角/全角": "Backquote",
  henkan: "Convert",
  変換: "Convert",
  muhenkan: "NonConvert",
  無変換: "NonConvert",
  kana: "KanaMode",
  かな: "KanaMode",
  yen: "IntlYen",
  "¥": "IntlYen",
  ro: "IntlRo",
  ろ: "IntlRo",
};

/** The key a name stands for: an alias, a letter or digit, f1..f12, or a KeyboardEvent.code. */
export function keyNamed(name: string): KeyCode | undefined {
  if (name in keys) return name as KeyCode;
  const lower = name.toLowerCase();
  if (lower in aliases) return aliases[lower];
  if (name in aliases) return aliases[name];
  if (/^[a-z]$/.test(lower)) return `Key${lower.toUpperCase()}` as KeyCode;
  if (/^[0-9]$/.test(lower)) return `Digit${lower}` as KeyCode;
  if (/^f([1-9]|1[0-2])$/.test(lower)) return lower.toUpperCase() as KeyCode;
  return undefined;
}

/**
 * A combination such as "ctrl-alt-delete" or "shift-tab": its keys, pressed
 * in order and released in reverse. "-" alone (or at the end) is the minus key.
 */
export function parseCombo(combo: string): KeyCode[] {
  const parts =
    combo === "-" ? ["-"] : combo.endsWith("--") ? [...combo.slice(0, -2).split("-"), "-"] : combo.split("-");
  return parts.map((p) => {
    const code = p === "-" ? "Minus" : keyNamed(p);
    if (!code)
      throw new Error(
        `unknown key '${p}' in '${combo}': use names such as ctrl, alt, shift, ret, esc, tab, f4, a, 1, henkan, or KeyboardEvent codes such as IntlYen`,
      );
    return code;
  });
}
