// passt, a walled guest's network stack (guest-wall.ts says why): one
// process per NIC, started detached as the guests' user with no capability
// left, joined to its QEMU by a connected pair of unix sockets. It ends by
// itself when QEMU closes its end, so it never outlives its VM, and an agent
// restarted meanwhile has nothing to find again.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GuestUser } from "./guest-wall.js";

export const passtInstalled = () => ["/usr/bin/passt", "/usr/local/bin/passt"].some(existsSync);

/**
 * The guests' user: `NAME` from /etc/passwd (its primary group), or
 * `UID:GID`; a sentence saying what is wrong when neither.
 */
export async function resolveGuestUser(spec: string): Promise<GuestUser | string> {
  const numeric = /^(\d+):(\d+)$/.exec(spec);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2]) };
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  const line = passwd.split("\n").find((l) => l.split(":")[0] === spec);
  if (!line)
    return `there is no user ${spec} for guests' networks: create it (useradd --system --user-group --no-create-home --shell /usr/sbin/nologin ${spec}) or give --guest-user UID:GID`;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Two connected unix stream sockets, paused: neither is read here. */
async function socketPair(): Promise<[Socket, Socket]> {
  const dir = await mkdtemp(join(tmpdir(), "wakame-pair-"));
  const path = join(dir, "s");
  const server = createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((done, fail) => server.once("error", fail).listen(path, done));
    const accepted = new Promise<Socket>((done) => server.once("connection", done));
    const client = connect({ path });
    client.pause();
    await new Promise<void>((done, fail) => client.once("error", fail).once("connect", done));
    return [await accepted, client];
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Starts passt with `args` (its socket at fd 3) as `user`, appending its
 * output to `log`, and returns the other end, for QEMU to inherit. A passt
 * that fails (it ends with 0 when its QEMU does) is told to `failed`, with
 * its last words, while this agent lives.
 */
export async function startPasst(
  args: readonly string[],
  user: GuestUser,
  log: string,
  failed: (why: string) => void,
): Promise<Socket> {
  const [passtEnd, qemuEnd] = await socketPair();
  const out = openSync(log, "a", 0o600);
  try {
    // setpriv drops what the agent may hold (root, or the service's ambient
    // capabilities) before passt runs: a guest that took passt over holds nothing.
    const child = spawn(
      "setpriv",
      [
        `--reuid=${user.uid}`,
        `--regid=${user.gid}`,
        "--clear-groups",
        "--inh-caps=-all",
        "--ambient-caps=-all",
        "--no-new-privs",
        "--",
        "passt",
        ...args,
      ],
      { detached: true, stdio: ["ignore", out, out, passtEnd] },
    );
    await new Promise<void>((done, fail) => child.once("spawn", done).once("error", fail));
    child.once("exit", async (code, signal) => {
      if (code === 0) return;
      const said = (await readFile(log, "utf8").catch(() => ""))
        .split("\n")
        .filter((l) => l && !l.startsWith("Failed to send"))
        .at(-1);
      failed(`${signal ?? `exit status ${code}`}${said ? `: ${said}` : ""} (${log})`);
    });
    child.unref();
    return qemuEnd;
  } catch (err) {
    qemuEnd.destroy();
    throw new Error(`cannot start passt: ${(err as Error).message}`);
  } finally {
    closeSync(out);
    passtEnd.destroy();
  }
}
