// `wakame up` as a user starts it, for the tests that need the all-in-one
// cloud: its output kept, ready once it prints how to use it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { testGuestCacheDir } from "../../src/testguest/build.js";
import { repoRoot } from "./paths.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The environment of a cloud in `home` whose API is on `port`, for it and for mussel and vdc-manage. */
export function upEnv(home: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WAKAME_HOME: home,
    HOME: home,
    // The test guest's build is shared with the other tests, not rebuilt for this HOME.
    WAKAME_CACHE_DIR: resolve(testGuestCacheDir(), ".."),
    DCMGR_HOST: "127.0.0.1",
    DCMGR_PORT: String(port),
    DCMGR_RESPONSE_FORMAT: "json",
  };
  delete env.DATABASE_URL;
  return env;
}

/** `wakame up` on `port`; `netns`: inside that network namespace, `extra`: more options. */
export function startUp(env: NodeJS.ProcessEnv, port: number, o: { netns?: string; extra?: string[] } = {}) {
  const argv = [
    process.execPath,
    resolve(repoRoot, "bin/wakame.js"),
    "up",
    "--listen",
    `127.0.0.1:${port}`,
    "--accelerator",
    "tcg",
    ...(o.extra ?? []),
  ];
  const [cmd, ...args] = o.netns ? ["ip", "netns", "exec", o.netns, ...argv] : argv;
  const up = spawn(cmd!, args, { env });
  const output = { out: "", err: "" };
  up.stdout.on("data", (d) => {
    output.out += d;
  });
  up.stderr.on("data", (d) => {
    output.err += d;
  });
  const exited = new Promise<number | null>((done) => up.on("exit", (code) => done(code)));
  const ready = async () => {
    for (let i = 0; i < 1800 && !output.out.includes("Ctrl-C stops") && up.exitCode === null; i++)
      await sleep(100);
    assert.match(output.out, /Ctrl-C stops/, output.err);
  };
  const stop = async () => {
    if (up.exitCode !== null || up.signalCode !== null) return;
    up.kill("SIGINT");
    await exited;
  };
  return { up, output, exited, ready, stop, until: untilSaid(output) };
}

/** `what` again every 500 ms until `done` says so, within `ms`; else fails with the last value and the end of what the cloud said (`output.err`). */
export const untilSaid =
  (output: { err: string }) =>
  async <T>(what: () => Promise<T>, done: (v: T) => boolean, ms = 300_000): Promise<T> => {
    for (const end = Date.now() + ms; ; ) {
      const v = await what();
      if (done(v)) return v;
      assert.ok(
        Date.now() < end,
        `still ${JSON.stringify(v)}\n${output.err.split("\n").slice(-40).join("\n")}`,
      );
      await sleep(500);
    }
  };
