// Reaction (issue 10): how soon the build acts on a screen. The stand-in
// shows its echoing field; a key pressed through QMP (not through us) makes
// it echo "x"; our watcher matches the needle of that screen on the update
// QEMU sends and types the next key at once. Measured per round, after an
// idle pause of 0.2 to 3 s: from the update's first byte to our key sent
// (our part), and from the QMP key press to our key sent (the whole loop,
// the guest's drawing and QEMU's screen refresh included). os-autoinst looks
// at the screen every 500 ms, so its part alone is 0 to 500 ms.
// Run: npm run bench:reaction
import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { cloneImage } from "../src/image/image.js";
import { parseNeedle } from "../src/needle/needle.js";
import { withQmp } from "../src/qemu/qmp.js";
import { keysymOf, scancodeOf } from "../src/vnc/keyboard/keys.js";
import { waitForScreen } from "../src/vnc/screen-watch.js";
import { tempDir } from "../test/helpers/paths.js";
import { random } from "../test/helpers/pictures.js";
import { startTypingStandin } from "../test/helpers/vnc-vm.js";

const rounds = 30;
const dir = tempDir("bench-reaction");
const standin = await startTypingStandin(dir, "us");
const { vm, client } = standin;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const press = async (code: "KeyX" | "Backspace") => {
  client.key(keysymOf(code), scancodeOf(code), true);
  client.key(keysymOf(code), scancodeOf(code), false);
};
try {
  await sleep(1000);
  // The two screens: the empty field, and the field with "x" typed.
  const field = { xpos: 32, ypos: 158, width: 300, height: 40 };
  const empty = {
    ...parseNeedle({ tags: ["empty"], area: [field] }, "empty"),
    image: cloneImage(client.framebuffer),
  };
  await press("KeyX");
  await sleep(1500);
  const typed = {
    ...parseNeedle({ tags: ["typed"], area: [field] }, "typed"),
    image: cloneImage(client.framebuffer),
  };
  await press("Backspace");
  await waitForScreen(client, [empty], { timeoutMs: 5000 });
  const ours: number[] = [];
  const whole: number[] = [];
  const rnd = random(9);
  for (let i = 0; i < rounds; i++) {
    await sleep(200 + rnd() * 2800);
    const t0 = performance.now();
    await withQmp(vm.qmpSocket, (q) => q.execute("send-key", { keys: [{ type: "qcode", data: "x" }] }));
    const seen = await waitForScreen(client, [typed], { timeoutMs: 10_000 });
    if (!seen.matched) throw new Error("the typed screen did not come");
    await press("Backspace");
    const sent = performance.now();
    ours.push(sent - client.updateStartedAt);
    whole.push(sent - t0);
    await waitForScreen(client, [empty], { timeoutMs: 10_000 });
  }
  const f = (xs: number[]) =>
    `${pct(xs, 50).toFixed(1)} | ${pct(xs, 95).toFixed(1)} | ${Math.max(...xs).toFixed(1)}`;
  console.log(`${rounds} rounds, each after an idle pause of 0.2 to 3 s; the stand-in under TCG.\n`);
  console.log("| from | to | p50 ms | p95 ms | max ms |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(`| the update's first byte | our key sent | ${f(ours)} |`);
  console.log(`| the QMP key press | our key sent | ${f(whole)} |`);
  console.log(
    "\nos-autoinst's poll alone: 0 to 500 ms (250 ms on average) from the change to its look at the screen.",
  );
} finally {
  await standin.stop();
  rmSync(dir, { recursive: true, force: true });
}
