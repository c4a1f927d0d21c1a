// "Type password": the text as the key presses a guest keyboard of this
// layout needs, sent through noVNC at the image build's pace (typing.ts,
// layouts.ts and send-keys.ts, the same modules the automatic build types
// with). QEMU's VNC has no clipboard, so this is how a password gets into
// the Windows sign-in screen.
import { keysymOf } from "../../../src/vnc/keyboard/keys.js";
import { layouts } from "../../../src/vnc/keyboard/layouts.js";
import { sendKeyEvents } from "../../../src/vnc/keyboard/send-keys.js";
import { textEvents } from "../../../src/vnc/keyboard/typing.js";

export const layoutNames = Object.keys(layouts);

export interface KeySender {
  sendKey(keysym: number, code: string | null, down?: boolean): void;
}

/** Types the text; throws, before sending anything, if the layout has no key for a character. */
export function typeText(rfb: KeySender, text: string, layout: string): Promise<void> {
  const events = textEvents(text, layouts[layout] ?? layouts.us!, undefined);
  return sendKeyEvents((e) => rfb.sendKey(keysymOf(e.code), e.code, e.down), events);
}
