// A person at the build VM's VNC console, for the tests of manual builds:
// our RFB client, typing in the guest's layout and clicking where the
// person sees a button.
import { setTimeout as sleep } from "node:timers/promises";
import { connectWithRetry } from "../../src/vnc/connect.js";
import { parseCombo } from "../../src/vnc/keyboard/keys.js";
import { layoutNamed } from "../../src/vnc/keyboard/layouts.js";
import { pressOn, sendKeyEvents } from "../../src/vnc/keyboard/send-keys.js";
import { comboEvents, textEvents } from "../../src/vnc/keyboard/typing.js";
import type { RfbClient } from "../../src/vnc/rfb-client.js";

export interface VncUser {
  client: RfbClient;
  keys(combo: string): Promise<void>;
  type(text: string): Promise<void>;
  click(x: number, y: number): Promise<void>;
  close(): void;
}

export async function vncUser(address: string, layout: string, password?: string): Promise<VncUser> {
  const client = await connectWithRetry(address, password === undefined ? {} : { password });
  const l = layoutNamed(layout);
  return {
    client,
    keys: (combo) => sendKeyEvents(pressOn(client), comboEvents(parseCombo(combo))),
    type: (text) => sendKeyEvents(pressOn(client), textEvents(text, l, client.leds)),
    async click(x, y) {
      client.pointer(x, y, 0);
      await sleep(50);
      client.pointer(x, y, 1);
      await sleep(50);
      client.pointer(x, y, 0);
    },
    close: () => client.close(),
  };
}
