// A browser console's host end joins two streams: bytes go both ways, and
// either end closing, failing, or having closed already ends the other.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { test } from "node:test";
import { joinStreams } from "../../src/hva/console-tunnel.js";

/** Two connected TCP sockets on loopback. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, "connection");
  const client = connect(port, "127.0.0.1");
  const [near] = (await accepted) as [Socket];
  await once(client, "connect");
  server.close();
  return [client, near];
}

test("bytes go both ways, and one end closing closes the other", async () => {
  const [vnc, vncServer] = await socketPair();
  const [page, browser] = await socketPair();
  const joined = joinStreams(vnc, page);
  vncServer.write("RFB 003.008\n");
  const [greeting] = await once(browser, "data");
  assert.equal(String(greeting), "RFB 003.008\n");
  browser.write("keys");
  const [keys] = await once(vncServer, "data");
  assert.equal(String(keys), "keys");
  browser.destroy();
  await joined;
  assert.equal(vnc.destroyed, true, "the VM's side is let go");
  await once(vncServer, "close");
});

test("an end that failed or closed before the join ends it at once", async () => {
  const [vnc, vncServer] = await socketPair();
  const [page, browser] = await socketPair();
  page.on("error", () => {});
  const closed = new Promise((resolve) => page.once("close", resolve));
  page.destroy(new Error("the page went"));
  await closed;
  await joinStreams(vnc, page);
  assert.equal(vnc.destroyed, true);
  vncServer.destroy();
  browser.destroy();
});
