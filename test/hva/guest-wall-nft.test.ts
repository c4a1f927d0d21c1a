// The guests' wall in the kernel: a process of the guests' user (as passt
// runs) cannot open a connection to this host, on 127.0.0.1 or on the host's
// own address, while the wall's table is in force, and can once it is gone;
// a connection made to it (a forwarded port's) is answered either way; and a
// guarded port takes only its sources.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { connect, createServer, type Server } from "node:net";
import { after, test } from "node:test";
import { removalRuleset } from "../../src/hva/firewall/host-firewall.js";
import { guestWallRuleset, guestWallTable } from "../../src/hva/network/guest-wall.js";
import { withoutNetns } from "../helpers/netns.js";

const user = { uid: 64991, gid: 64991 };
const table = guestWallTable(`/guest-wall-nft-test/${process.pid}`);
const nft = (text: string) => execFileSync("nft", ["-f", "-"], { input: text });
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
  if (!withoutNetns) nft(removalRuleset([["inet", table]]));
});

/** A listener answering "hi", run as root in this process. */
async function listener(address: string): Promise<number> {
  const server = createServer((s) => s.end("hi\n"));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, address, done));
  return (server.address() as { port: number }).port;
}

/** `node -e script` as the guests' user. */
const asGuestUser = (script: string) =>
  spawn("setpriv", [
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--clear-groups",
    "--",
    process.execPath,
    "-e",
    script,
  ]);

/** Whether a connection from a process of the guests' user to address:port is answered. */
function connectsAsGuestUser(address: string, port: number): Promise<boolean> {
  const child = asGuestUser(
    `const s=require("net").connect(${port},"${address}");s.on("data",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(2),3000);`,
  );
  return new Promise((done) => child.on("exit", (code) => done(code === 0)));
}

/** Whether this process's own connection to 127.0.0.1:port is answered within 2 s. */
function connects(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      s.destroy();
      done(false);
    }, 2000);
    s.on("data", () => {
      clearTimeout(timer);
      s.destroy();
      done(true);
    });
    s.on("error", () => {
      clearTimeout(timer);
      done(false);
    });
  });
}

/** This host's own first global IPv4 address. */
const hostAddress = () =>
  /inet (\d+\.\d+\.\d+\.\d+)/.exec(
    execFileSync("ip", ["-4", "-o", "addr", "show", "scope", "global"], { encoding: "utf8" }),
  )?.[1];

test("the guests' user reaches this host only without the wall; connections to it are answered; a guard takes only its sources", {
  skip: withoutNetns,
}, async () => {
  const addresses = ["127.0.0.1", ...(hostAddress() ? [hostAddress()!] : [])];
  const ports = await Promise.all(addresses.map((a) => listener(a)));
  // A forwarded port, as passt holds one: a listener of the guests' user.
  const forward = asGuestUser(
    `require("net").createServer((s)=>s.end("hi\\n")).listen(0,"127.0.0.1",function(){console.log(this.address().port)});`,
  );
  const forwardPort = Number(await new Promise((done) => forward.stdout.once("data", done)));
  try {
    nft(guestWallRuleset(table, user));
    for (const [i, a] of addresses.entries())
      assert.equal(await connectsAsGuestUser(a, ports[i]!), false, `walled: ${a}`);
    assert.equal(await connects(ports[0]!), true, "another user's connections are not touched");
    assert.equal(await connects(forwardPort), true, "a connection to the guests' user is answered");
    nft(
      guestWallRuleset(table, user, [{ protocol: "tcp", host_port: forwardPort, sources: ["10.9.9.9/32"] }]),
    );
    assert.equal(await connects(forwardPort), false, "guarded: 127.0.0.1 is not 10.9.9.9");
    nft(
      guestWallRuleset(table, user, [{ protocol: "tcp", host_port: forwardPort, sources: ["127.0.0.0/8"] }]),
    );
    assert.equal(await connects(forwardPort), true, "guarded: 127.0.0.0/8 is let in");
    nft(removalRuleset([["inet", table]]));
    for (const [i, a] of addresses.entries())
      assert.equal(await connectsAsGuestUser(a, ports[i]!), true, `without the wall: ${a}`);
  } finally {
    forward.kill("SIGKILL");
  }
});
