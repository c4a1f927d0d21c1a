// The QMP client against a real QEMU process (no guest: -machine none).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { QmpClient, QmpError } from "../../src/qemu/qmp.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("qmp");
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function startQemu(name: string) {
  const socket = join(dir, `${name}.qmp`);
  const qemu = spawn(
    "qemu-system-x86_64",
    ["-machine", "none", "-display", "none", "-nodefaults", "-qmp", `unix:${socket},server=on,wait=off`],
    { stdio: "ignore" },
  );
  children.push(qemu);
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    qemu,
    socket,
    exited: new Promise<number | null>((done) => qemu.on("exit", (code) => done(code))),
  };
}

test("commands are answered, errors are QEMU's, events arrive as they happen", async () => {
  const { socket, exited } = await startQemu("a");
  const qmp = await QmpClient.connect(socket);
  const status = await qmp.execute<{ status: string; running: boolean }>("query-status");
  assert.equal(typeof status.running, "boolean");
  await assert.rejects(qmp.execute("no-such-command"), (err: Error) => {
    assert.ok(err instanceof QmpError);
    assert.equal(err.errorClass, "CommandNotFound");
    return true;
  });
  const stopped = qmp.waitForEvent("STOP", 5000);
  await qmp.execute("stop");
  assert.equal((await stopped).event, "STOP");
  const resumed = qmp.waitForEvent("RESUME", 5000);
  await qmp.execute("cont");
  assert.equal((await resumed).event, "RESUME");

  // QEMU says SHUTDOWN before it goes, then the connection closes.
  const shutdown = qmp.waitForEvent("SHUTDOWN", 10_000);
  await qmp.execute("quit").catch(() => {});
  assert.equal((await shutdown).data?.reason, "host-qmp-quit");
  await qmp.closed;
  assert.equal(await exited, 0);
  await assert.rejects(qmp.waitForEvent("SHUTDOWN", 1000), /QMP connection closed before SHUTDOWN/);
});

test("a socket nobody serves is a clear error", async () => {
  await assert.rejects(QmpClient.connect(join(dir, "missing.qmp"), 500), /ENOENT|no QMP answer/);
});

test("a QEMU that dies says no SHUTDOWN: whoever waits learns the connection closed", async () => {
  const { qemu, socket } = await startQemu("killed");
  const qmp = await QmpClient.connect(socket);
  const waiting = qmp.waitForEvent("SHUTDOWN", 10_000);
  qemu.kill("SIGKILL");
  await assert.rejects(waiting, /QMP connection closed before SHUTDOWN/);
  // A command asked after it is gone is refused at once, not left waiting for an answer that never comes.
  await assert.rejects(qmp.execute("query-status"), /QMP connection closed before query-status/);
});
