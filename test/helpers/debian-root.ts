// A throwaway Debian 12 root for installing the project's packages, as a
// fresh machine would: debootstrap's minbase with systemd (for
// systemd-analyze and the units' enabling; nothing runs it as init), kept as
// a tarball in the guest cache (guestCacheRoot) so that later runs unpack it
// in seconds; Node.js 20 as the Debian package this machine has
// (dpkg-repack), or one made from the running node where it came from a
// tarball, since Debian 12's own nodejs is 18. Commands run with the
// root pivoted to in a mount namespace of their own (unshare -m), with /proc
// and /dev inside it, so no mount outlives them.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { guestCacheRoot } from "../../src/testguest/build.js";

const cache = () => join(guestCacheRoot(), "debian-root");

/** The Debian mirror this machine's apt uses (its first URIs line). */
function mirror(): string {
  const sources = readFileSync("/etc/apt/sources.list.d/debian.sources", "utf8");
  const uri = /^URIs:\s*(\S+)/m.exec(sources)?.[1];
  if (!uri)
    throw new Error("/etc/apt/sources.list.d/debian.sources names no URIs: where is Debian's mirror?");
  return uri;
}

/** A fresh copy of the cached minbase root in `dir` (made once with debootstrap). */
export function debianRoot(dir: string): void {
  mkdirSync(cache(), { recursive: true });
  const tarball = join(cache(), "bookworm-minbase-systemd.tar");
  if (!existsSync(tarball)) {
    const work = join(cache(), "work");
    rmSync(work, { recursive: true, force: true });
    execFileSync("debootstrap", ["--variant=minbase", "--include=systemd", "bookworm", work, mirror()], {
      stdio: "ignore",
    });
    execFileSync("cp", ["/etc/apt/sources.list.d/debian.sources", join(work, "etc/apt/sources.list.d/")]);
    rmSync(join(work, "etc/apt/sources.list"), { force: true });
    execFileSync("tar", ["-cf", `${tarball}.tmp`, "-C", work, "."]);
    renameSync(`${tarball}.tmp`, tarball);
    rmSync(work, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xf", tarball, "-C", dir]);
  execFileSync("cp", ["/etc/resolv.conf", join(dir, "etc/resolv.conf")]);
}

/**
 * This machine's Node.js as a Debian package (cached by its version): its
 * own `nodejs` package remade by dpkg-repack where the running node is that
 * package's, else (Node.js from a tarball) one made from the running node.
 */
export function nodePackage(): string {
  const owner = spawnSync("dpkg-query", ["-S", realpathSync(process.execPath)], { encoding: "utf8" });
  const packaged = owner.status === 0 && /^nodejs:/m.test(owner.stdout);
  const version = packaged
    ? execFileSync("dpkg-query", ["-W", "-f=${Version}", "nodejs"], { encoding: "utf8" })
    : `${process.versions.node}-running`;
  const dir = join(cache(), `nodejs-${version}`);
  const found = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(".deb")) : undefined;
  if (found) return join(dir, found);
  const work = `${dir}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  if (packaged) execFileSync("dpkg-repack", ["nodejs"], { cwd: work, stdio: "ignore" });
  else nodeDebFromBinary(process.execPath, process.versions.node, work);
  renameSync(work, dir);
  return join(dir, readdirSync(dir).find((f) => f.endsWith(".deb"))!);
}

/** A `nodejs` package of `version` holding `node` as /usr/bin/node, made in `out`; its path. */
export function nodeDebFromBinary(node: string, version: string, out: string): string {
  const staging = join(out, "staging");
  mkdirSync(join(staging, "DEBIAN"), { recursive: true });
  mkdirSync(join(staging, "usr/bin"), { recursive: true });
  copyFileSync(node, join(staging, "usr/bin/node"));
  chmodSync(join(staging, "usr/bin/node"), 0o755);
  const arch = execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
  writeFileSync(
    join(staging, "DEBIAN/control"),
    [
      "Package: nodejs",
      `Version: ${version}-1wakame`,
      `Architecture: ${arch}`,
      "Maintainer: wakame-ts developers <wakame-ts@lists.example.org>",
      "Depends: libc6, libgcc-s1, libstdc++6",
      "Section: web",
      "Priority: optional",
      `Description: Node.js ${version}, the one this machine runs`,
      " Made for the package tests where Node.js came from a tarball.",
      "",
    ].join("\n"),
  );
  const deb = join(out, `nodejs_${version}-1wakame_${arch}.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zxz", "-b", staging, deb], { stdio: "ignore" });
  rmSync(staging, { recursive: true, force: true });
  return deb;
}

export interface RootResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `sh -c command` with `root` as its root, in a mount namespace of its own
 * with /proc and /dev, and in network namespace `netns` when one is named.
 * The root is pivoted to, not chrooted into: the kernel refuses user
 * namespaces in a chroot, and passt, as the guests' user, makes one.
 */
function inRootCommand(root: string, command: string, netns?: string): [string, string[]] {
  const args = [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount --bind "$0" "$0" && mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && cd "$0" && ' +
      "mkdir -p .old-root && pivot_root . .old-root && umount -l /.old-root && rmdir /.old-root && " +
      'exec sh -c "$1"',
    root,
    command,
  ];
  return netns ? ["ip", ["netns", "exec", netns, ...args]] : [args[0]!, args.slice(1)];
}

const rootEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DEBIAN_FRONTEND: "noninteractive", LANG: "C" };

/** `command` run in the root as root, through sh, with apt quiet and non-interactive. */
export function inRoot(root: string, command: string, netns?: string): RootResult {
  const [file, args] = inRootCommand(root, command, netns);
  const r = spawnSync(file, args, { encoding: "utf8", env: rootEnv });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `command` started in the root, left running (a service): its pid is the
 * command's own when `command` execs it, as the units' ExecStart lines run.
 */
export function startInRoot(root: string, command: string, netns?: string): ChildProcess {
  const [file, args] = inRootCommand(root, command, netns);
  return spawn(file, args, { env: rootEnv, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Every process whose root directory is `root`, killed with SIGKILL: known by
 * its root's device and inode (a pivoted root reads as "/" in /proc/PID/root).
 */
export function killAllInRoot(root: string): void {
  const { dev, ino } = statSync(root);
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const at = statSync(`/proc/${pid}/root/`);
      if (at.dev === dev && at.ino === ino && Number(pid) !== process.pid)
        process.kill(Number(pid), "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
}
