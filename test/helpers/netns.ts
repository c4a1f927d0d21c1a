// Hosts and guests as network namespaces, for the firewall's tests: a "host"
// with a bridge, "guests" joined to it by veth pairs whose host ends stand
// for the vifs' taps, and an "outside" namespace routed through the host.
// TCP is probed with Node inside the namespaces.
import { execFileSync, type SpawnOptions, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

export const withoutNetns: string | false =
  process.getuid?.() !== 0
    ? "needs root (network namespaces)"
    : !["/usr/sbin/nft", "/sbin/nft"].some(existsSync)
      ? "needs nft (nftables)"
      : false;

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });

export interface Guest {
  ns: string;
  tap: string;
  mac: string;
  ipv4: string;
}

export interface Segment {
  host: string;
  outside: string;
  guests: Guest[];
  /** Listens on TCP `port` in the namespace until the segment is removed. */
  listen(ns: string, port: number): Promise<void>;
  /** Whether a TCP connection from `ns` to host:port is answered within `ms`. */
  connects(ns: string, host: string, port: number, ms?: number): Promise<boolean>;
  /** A connection kept open: `echoes()` says whether a line sent on it comes back within `ms`. */
  hold(
    ns: string,
    host: string,
    port: number,
  ): Promise<{ echoes(ms?: number): Promise<boolean>; close(): void }>;
  remove(): void;
}

const probe = join(repoRoot, "test/helpers/tcp-probe.mjs");

/** tcp-probe.mjs with `args`, run inside namespace `ns`. */
const probeIn = (ns: string, args: string[], options: SpawnOptions = {}) =>
  spawn("ip", ["netns", "exec", ns, process.execPath, probe, ...args], options);

/** A host namespace with bridge br0 (10.0.2.1/24, the guests' gateway), `count` guests, and an outside at 10.9.0.2. */
export function makeSegment(prefix: string, count: number): Segment {
  const host = `${prefix}-h`;
  const outside = `${prefix}-o`;
  const guests: Guest[] = Array.from({ length: count }, (_, i) => ({
    ns: `${prefix}-g${i + 1}`,
    tap: `tap-${prefix}${i + 1}`.slice(0, 15),
    mac: `52:54:00:00:00:${(i + 1).toString(16).padStart(2, "0")}`,
    ipv4: `10.0.2.${101 + i}`,
  }));
  const all = [host, outside, ...guests.map((g) => g.ns)];
  for (const ns of all) {
    if (existsSync(`/run/netns/${ns}`)) ip("netns", "del", ns);
    ip("netns", "add", ns);
  }
  ip("-n", host, "link", "add", "br0", "type", "bridge", "nf_call_iptables", "1");
  ip("-n", host, "addr", "add", "10.0.2.1/24", "dev", "br0");
  ip("-n", host, "link", "set", "br0", "up");
  for (const g of guests) {
    ip("link", "add", g.tap, "netns", host, "type", "veth", "peer", "name", "eth0", "netns", g.ns);
    ip("-n", g.ns, "link", "set", "eth0", "address", g.mac);
    ip("-n", host, "link", "set", g.tap, "master", "br0", "up");
    ip("-n", g.ns, "addr", "add", `${g.ipv4}/24`, "dev", "eth0");
    ip("-n", g.ns, "link", "set", "eth0", "up");
    ip("-n", g.ns, "link", "set", "lo", "up");
    ip("-n", g.ns, "route", "add", "default", "via", "10.0.2.1");
  }
  ip("link", "add", "uplink", "netns", host, "type", "veth", "peer", "name", "eth0", "netns", outside);
  ip("-n", host, "addr", "add", "10.9.0.1/24", "dev", "uplink");
  ip("-n", host, "link", "set", "uplink", "up");
  ip("-n", outside, "addr", "add", "10.9.0.2/24", "dev", "eth0");
  ip("-n", outside, "link", "set", "eth0", "up");
  ip("-n", outside, "route", "add", "10.0.2.0/24", "via", "10.9.0.1");
  execFileSync("ip", ["netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);

  const listeners: ReturnType<typeof spawn>[] = [];
  return {
    host,
    outside,
    guests,
    listen(ns, port) {
      const child = probeIn(ns, ["listen", String(port)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      listeners.push(child);
      return new Promise((ready) => child.stdout!.once("data", () => ready()));
    },
    connects(ns, to, port, ms = 1500) {
      return new Promise((done) => {
        const child = probeIn(ns, ["connect", to, String(port), String(ms)]);
        child.on("exit", (code) => done(code === 0));
      });
    },
    async hold(ns, to, port) {
      const child = probeIn(ns, ["hold", to, String(port)], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      listeners.push(child);
      let said = "";
      child.stdout!.setEncoding("utf8").on("data", (d) => {
        said += d;
      });
      const heard = async (text: string, ms: number) => {
        for (const end = Date.now() + ms; Date.now() < end; ) {
          if (said.includes(text)) return true;
          await new Promise((r) => setTimeout(r, 20));
        }
        return false;
      };
      if (!(await heard("hi\n", 3000))) throw new Error(`no answer from ${to}:${port} to hold`);
      let n = 0;
      return {
        async echoes(ms = 1500) {
          const line = `ping ${++n}`;
          child.stdin!.write(`${line}\n`);
          return heard(`${line}\n`, ms);
        },
        close: () => child.kill(),
      };
    },
    remove() {
      for (const l of listeners) l.kill();
      for (const ns of all) if (existsSync(`/run/netns/${ns}`)) ip("netns", "del", ns);
    },
  };
}

/** Sends `line` to host:port from inside `ns`: the first thing it answers within `ms`, or null. */
export function askFrom(
  ns: string,
  host: string,
  port: number,
  line: string,
  ms = 2000,
): Promise<string | null> {
  return new Promise((done) => {
    const child = probeIn(ns, ["ask", host, String(port), line, String(ms)]);
    let said = "";
    child.stdout!.setEncoding("utf8").on("data", (d) => {
      said += d;
    });
    child.on("exit", (code) => done(code === 0 ? said.trim() : null));
  });
}

/** A TCP connection from `ns` kept open: `ask` sends a line on it and waits `ms` for an answer. */
export async function holdFrom(ns: string, host: string, port: number) {
  const child = probeIn(ns, ["hold", host, String(port)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let said = "";
  child.stdout!.setEncoding("utf8").on("data", (d) => {
    said += d;
  });
  const heard = async (from: number, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      const news = said.slice(from).replace(/^connected\n/, "");
      if (news.trim()) return news.trim();
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  };
  for (const end = Date.now() + 5000; !said.startsWith("connected"); ) {
    if (Date.now() > end || said.includes("closed")) {
      child.kill();
      throw new Error(`no connection to ${host}:${port} from ${ns}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    async ask(line: string, ms = 2000): Promise<string | null> {
      const from = said.length;
      child.stdin!.write(`${line}\n`);
      return heard(from, ms);
    },
    close: () => child.kill(),
  };
}
