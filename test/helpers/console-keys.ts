// Keys typed on a VM's console through QMP send-key, as a user at the VNC
// console would: what the build's manual steps ask the user to do.
import { QmpClient } from "../../src/qemu/qmp.js";

const shifted: Record<string, string> = { ":": "semicolon", "!": "1", "@": "2", _: "minus", "+": "equal" };
const plain: Record<string, string> = {
  "-": "minus",
  ";": "semicolon",
  ".": "dot",
  "/": "slash",
  "\\": "backslash",
  " ": "spc",
  "\n": "ret",
  "=": "equal",
};

function keysOf(ch: string): string[] {
  if (/^[a-z0-9]$/.test(ch)) return [ch];
  if (/^[A-Z]$/.test(ch)) return ["shift", ch.toLowerCase()];
  if (ch in plain) return [plain[ch]!];
  if (ch in shifted) return ["shift", shifted[ch]!];
  throw new Error(`no key for ${JSON.stringify(ch)}`);
}

export async function sendKeys(qmpSocket: string, ...combos: string[][]): Promise<void> {
  const q = await QmpClient.connect(qmpSocket);
  try {
    for (const keys of combos) {
      await q.execute("send-key", { keys: keys.map((k) => ({ type: "qcode", data: k })) });
      await new Promise((r) => setTimeout(r, 30));
    }
  } finally {
    q.close();
  }
}

export const typeText = (qmpSocket: string, text: string) => sendKeys(qmpSocket, ...[...text].map(keysOf));
export const pressCtrlAltDelete = (qmpSocket: string) => sendKeys(qmpSocket, ["ctrl", "alt", "delete"]);
