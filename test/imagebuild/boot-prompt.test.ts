// What step 3 does at UEFI media's "Press any key to boot from CD or DVD":
// press until setup writes to the disk, and stop when the VM does or time is up.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bootPromptAction, type PromptState } from "../../src/imagebuild/boot-prompt.js";
import { imageFeatures } from "../../src/imagebuild/install-script.js";

test("the boot prompt: press until setup writes to the disk, the VM stops or the limit passes", () => {
  const s: PromptState = {
    elapsedMs: 0,
    allocatedAtStart: 0,
    allocatedNow: 0,
    vmRunning: true,
    limitMs: 60_000,
  };
  const cases: [Partial<PromptState>, string][] = [
    [{}, "press"],
    [{ elapsedMs: 59_999 }, "press"],
    [{ allocatedNow: 4096 }, "setup-writes"],
    // A disk from an earlier attempt: only growth counts.
    [{ allocatedAtStart: 1 << 30, allocatedNow: 1 << 30 }, "press"],
    [{ allocatedAtStart: 1 << 30, allocatedNow: (1 << 30) + 4096 }, "setup-writes"],
    [{ vmRunning: false, allocatedNow: 4096 }, "vm-stopped"],
    [{ elapsedMs: 60_000 }, "gave-up"],
    [{ elapsedMs: 60_000, allocatedNow: 1 }, "setup-writes"],
  ];
  for (const [change, action] of cases)
    assert.equal(bootPromptAction({ ...s, ...change }), action, JSON.stringify(change));
});

test("a packaged image's features: UEFI from its GPT disk, Secure Boot and TPM from the build's settings", () => {
  const all = { secureBoot: true, tpm: true };
  assert.deepEqual(imageFeatures({ gpt: false }, all), ["virtio"]);
  assert.deepEqual(imageFeatures({ gpt: true }, all), ["virtio", "uefi", "secure_boot", "tpm"]);
  assert.deepEqual(imageFeatures({ gpt: true }, { secureBoot: false, tpm: true }), ["virtio", "uefi", "tpm"]);
  // Installed some other way: no settings, only what the disk says.
  assert.deepEqual(imageFeatures({ gpt: true }, undefined), ["virtio", "uefi"]);
});
