// Typing pace (issue 10): text typed by scancode through QEMU's VNC server
// into the stand-in's echoing field (TCG, US layout), at rising key rates;
// for each, whether every character arrived, and the characters a second
// achieved. The fastest rate with nothing lost is what KEYRATE may be;
// Packer types boot_command at 10 keys a second by default (100 ms apart).
// Run: npm run bench:typing
import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { layouts } from "../src/vnc/keyboard/layouts.js";
import { defaultKeyRate, pressOn, sendKeyEvents } from "../src/vnc/keyboard/send-keys.js";
import { textEvents } from "../src/vnc/keyboard/typing.js";
import { tempDir } from "../test/helpers/paths.js";
import { random } from "../test/helpers/pictures.js";
import { startTypingStandin } from "../test/helpers/vnc-vm.js";

const rates = [20, 30, 40, 50, 60, 80, 100];
const runs = 2;
const length = 500;
const dir = tempDir("bench-typing");
const standin = await startTypingStandin(dir, "us");
const { client } = standin;
const lines = standin.typedLines;
try {
  const rnd = random(3);
  const chars = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
  const rows: string[] = [];
  let fastest = 0;
  let fastestCps = 0;
  let unbroken = true;
  for (const rate of rates) {
    let exact = 0;
    let lost = 0;
    let cps = 0;
    for (let r = 0; r < runs; r++) {
      const text = Array.from({ length }, () => chars[Math.floor(rnd() * chars.length)]).join("");
      const before = lines().length;
      const t0 = performance.now();
      await sendKeyEvents(pressOn(client), textEvents(text, layouts.us!, client.leds), rate);
      cps = Math.max(cps, text.length / ((performance.now() - t0) / 1000));
      // Enter slowly, so that the line ends even when the text lost keys.
      await sendKeyEvents(pressOn(client), textEvents("\n", layouts.us!, client.leds), 5);
      for (let i = 0; lines().length === before && i < 80; i++) await sleep(250);
      const got = lines()[before] ?? "";
      if (got === text) exact++;
      lost += Math.max(0, text.length - got.length);
    }
    // The fastest of the rates that, with every slower one, lost nothing.
    if (exact === runs && unbroken) {
      fastest = rate;
      fastestCps = cps;
    } else unbroken = false;
    rows.push(`| ${rate} | ${cps.toFixed(1)} | ${exact} of ${runs} | ${lost} |`);
  }
  console.log(
    `${length} printable ASCII characters a run, ${runs} runs a rate; the stand-in under TCG, US layout.\n`,
  );
  console.log("| keys/s asked | characters/s achieved | runs exact | characters lost |");
  console.log("| --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
  console.log(`\nfastest rate with nothing lost: ${fastest} keys/s; KEYRATE's default is ${defaultKeyRate}.`);
  // Shift presses count as keys; Packer's default sends a character, shifted or not, every 100 ms.
  const ours = 1000 / fastestCps;
  const cps = fastestCps.toFixed(1);
  console.log(`1,000 characters at ${fastest} keys/s (${cps} characters/s): ${ours.toFixed(0)} s;`);
  console.log(`at Packer's default, a key every 100 ms: 100 s (${(100 / ours).toFixed(1)}x).`);
} finally {
  await standin.stop();
  rmSync(dir, { recursive: true, force: true });
}
