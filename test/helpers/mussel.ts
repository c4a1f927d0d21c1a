// mussel as a user runs it, against the dcmgr that `env` names (DCMGR_HOST,
// DCMGR_PORT; DCMGR_RESPONSE_FORMAT=json so tests read its answers).
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { run } from "./cli.js";
import { repoRoot } from "./paths.js";

export type Mussel = (...args: string[]) => Promise<string>;

/** Runs mussel; a failure fails the test with mussel's own message. */
export function musselWith(env: NodeJS.ProcessEnv): Mussel {
  return async (...args) => {
    const r = await run(process.execPath, [resolve(repoRoot, "bin/mussel.js"), ...args], env);
    assert.equal(r.code, 0, `mussel ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
}

/** Launches the demo image as the README shows (`extra`: more options); the answer is a pending instance. */
export async function launchTestwin(
  mussel: Mussel,
  sshKeyId: string,
  group: string,
  ...extra: string[]
): Promise<string> {
  const launched = JSON.parse(
    await mussel(
      "instance",
      "create",
      "--image-id",
      "wmi-testwin",
      "--instance-spec-name",
      "kvm.small",
      "--ssh-key-id",
      sshKeyId,
      "--security-groups",
      group,
      ...extra,
    ),
  ) as { id: string; state: string };
  assert.equal(launched.state, "pending");
  return launched.id;
}
