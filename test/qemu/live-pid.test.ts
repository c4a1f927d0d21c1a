// Which pid in a pid file is a live VM: real processes, as the host agent and
// the image builder find their QEMUs after a restart.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { livePid } from "../../src/qemu/launch.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("live-pid");
const pidFile = join(dir, "qemu.pid");
after(() => rmSync(dir, { recursive: true, force: true }));
const naming = (pid: number) => {
  writeFileSync(pidFile, String(pid));
  return livePid(pidFile, dir);
};

test("a live process whose command line names the directory is the VM; after it ends, none is", async () => {
  const vm = spawn("sh", ["-c", "sleep 30; :", dir]);
  // Between fork and exec the child still has its parent's command line.
  for (let i = 0; i < 200 && !(await naming(vm.pid!)); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(await naming(vm.pid!), vm.pid);
  const ended = new Promise((r) => vm.once("exit", r));
  vm.kill("SIGKILL");
  await ended;
  assert.equal(await naming(vm.pid!), undefined);
});

test("a pid reused by another program, by a kernel thread, or left as a zombie is no VM", async () => {
  assert.equal(await naming(process.pid), undefined, "another program: its command line names no VM");
  assert.equal(await naming(2), undefined, "kthreadd: a kernel thread has no command line either");
  // A child that its parent never waits for stays a zombie, with an empty command line.
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"]);
  const zombie = Number(await new Promise<string>((r) => parent.stdout.once("data", (d) => r(String(d)))));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await naming(zombie), undefined, "a zombie has let go of everything");
  parent.kill("SIGKILL");
  assert.equal(await naming(999_999_999), undefined, "no such process");
  writeFileSync(pidFile, "not a pid");
  assert.equal(await livePid(pidFile, dir), undefined);
});

test("a process whose main thread has ended while its other threads (and its open files) live on is still the VM", async () => {
  // As QEMU after a SIGKILL: the main thread is a zombie before the vCPU threads are gone.
  const vm = spawn("python3", [
    "-c",
    "import threading, time, ctypes\nthreading.Thread(target=time.sleep, args=(4,)).start()\nctypes.CDLL(None).pthread_exit(None)",
  ]);
  const exited = new Promise((r) => vm.once("exit", r));
  // Until the main thread has ended (the process shows as a zombie while its other thread sleeps on):
  // a fixed wait was too short for a python start on a loaded machine.
  const mainEnded = () => {
    try {
      return readFileSync(`/proc/${vm.pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 300 && !mainEnded(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(mainEnded(), "the main thread ended first");
  assert.equal(await naming(vm.pid!), vm.pid, "its last thread still runs");
  await exited;
  assert.equal(await naming(vm.pid!), undefined);
});
