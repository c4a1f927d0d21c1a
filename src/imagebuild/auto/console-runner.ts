// Doing a console script's actions for one step over VNC: wait for a screen
// (on every framebuffer update), press keys, type by scancode in the
// guest's layout, click at the matched needle's click point.
import { setTimeout as sleep } from "node:timers/promises";
import type { LoadedNeedle, MatchResult } from "../../needle/match.js";
import { parseCombo } from "../../vnc/keyboard/keys.js";
import type { Layout } from "../../vnc/keyboard/layouts.js";
import { pressOn, sendKeyEvents } from "../../vnc/keyboard/send-keys.js";
import { comboEvents, textEvents } from "../../vnc/keyboard/typing.js";
import type { RfbClient } from "../../vnc/rfb-client.js";
import { type ScreenWait, waitForScreen } from "../../vnc/screen-watch.js";
import { type Action, fillPlaceholders } from "./console-script.js";

export interface ConsoleContext {
  client: RfbClient;
  needles: readonly LoadedNeedle[];
  layout: Layout;
  /** Keys a second. */
  keyRate: number;
  /** The placeholders' values ({password}). */
  values: Record<string, string>;
  say(line: string): void;
  /** Each screen waited for, matched or not: for the report and the failure message. */
  saw(tag: string, wait: ScreenWait): Promise<void>;
}

/** A screen that did not come in its time. */
export class ScreenTimeout extends Error {
  constructor(
    readonly tag: string,
    readonly timeoutS: number,
    readonly wait: ScreenWait,
  ) {
    super(`the screen '${tag}' did not come within ${timeoutS} s`);
  }
}

export class ScriptProblem extends Error {}

function needlesTagged(ctx: ConsoleContext, tag: string): LoadedNeedle[] {
  const tagged = ctx.needles.filter((n) => n.tags.includes(tag));
  if (tagged.length === 0)
    throw new ScriptProblem(
      `no needle has the tag '${tag}': make one from a recorded screen with 'needle new --from-build BUILDDIR STEP --area X,Y,W,H --tag ${tag} -o NEEDLES_DIR/NAME'`,
    );
  return tagged;
}

async function waitFor(
  ctx: ConsoleContext,
  tag: string,
  timeoutS: number,
  colour = false,
): Promise<MatchResult> {
  const wait = await waitForScreen(ctx.client, needlesTagged(ctx, tag), {
    timeoutMs: timeoutS * 1000,
    colour,
  });
  await ctx.saw(tag, wait);
  if (!wait.matched) throw new ScreenTimeout(tag, timeoutS, wait);
  const score = Math.min(...wait.matched.areas.map((a) => a.similarity ?? 0));
  ctx.say(
    `screen '${tag}': needle ${wait.matched.needle.name} after ${(wait.waitedMs / 1000).toFixed(1)} s (similarity ${score.toFixed(3)})`,
  );
  return wait.matched;
}

export async function runActions(actions: readonly Action[], ctx: ConsoleContext): Promise<void> {
  for (const a of actions) {
    switch (a.kind) {
      case "wait":
        await waitFor(ctx, a.tag, a.timeoutS, a.colour);
        break;
      case "keys": {
        const events = comboEvents(parseCombo(a.combo));
        for (let i = 0; i < a.repeat; i++) await sendKeyEvents(pressOn(ctx.client), events, ctx.keyRate);
        ctx.say(`pressed ${a.combo}${a.repeat > 1 ? ` ${a.repeat} times` : ""}`);
        break;
      }
      case "type": {
        const text = fillPlaceholders(a.text, ctx.values);
        await sendKeyEvents(pressOn(ctx.client), textEvents(text, ctx.layout, ctx.client.leds), ctx.keyRate);
        ctx.say(`typed ${text.length} characters (${ctx.layout.name} layout)`);
        if (a.until) await waitFor(ctx, a.until.tag, a.until.timeoutS);
        break;
      }
      case "click": {
        const matched = await waitFor(ctx, a.tag, a.timeoutS);
        const point = matched.areas.find((area) => area.clickPoint)?.clickPoint;
        if (!point)
          throw new ScriptProblem(
            `needle ${matched.needle.name} has no click_point: give it one (needle new --click X,Y)`,
          );
        ctx.client.pointer(point.x, point.y, 0);
        await sleep(50);
        ctx.client.pointer(point.x, point.y, 1);
        await sleep(50);
        ctx.client.pointer(point.x, point.y, 0);
        ctx.say(`clicked at ${point.x},${point.y} (needle ${matched.needle.name})`);
        break;
      }
    }
  }
}
