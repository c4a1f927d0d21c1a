// DNS rebinding: dcmgr answers only requests addressed to localhost, an IP
// address or a name of its server-name option; the rest get 421 with what
// to do, whatever the path (API, agents' API, web GUI, console sockets).
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { hostAllowed, hostOfHeader } from "../../src/dcmgr/host-header.js";
import { startApi, type TestApi } from "../helpers/api.js";

test("the Host header's name: ports and brackets off, lower case, no final dot", () => {
  for (const [header, host] of [
    ["127.0.0.1:9001", "127.0.0.1"],
    ["[::1]:9001", "::1"],
    ["[::1]", "::1"],
    ["Rebind.Example.:9001", "rebind.example"],
    ["localhost", "localhost"],
  ] as const)
    assert.equal(hostOfHeader(header), host, header);
});

test("localhost, IP addresses and the server's names are let in; other names and no header are not", () => {
  const names = ["dcmgr.example.com"];
  for (const ok of [
    "localhost:9001",
    "127.0.0.1:9001",
    "[::1]:9001",
    "192.0.2.2:9001",
    "10.0.2.2",
    "DCMGR.example.com:443",
  ])
    assert.ok(hostAllowed(ok, names), ok);
  for (const no of [
    "rebind.example:9001",
    "localhost.rebind.example",
    "127.0.0.1.nip.io:9001",
    "dcmgr.example.com.evil",
    "",
  ])
    assert.ok(!hostAllowed(no, names), no);
  assert.ok(!hostAllowed(undefined, names));
});

/** A raw HTTP GET with exactly this Host header. */
function get(origin: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(origin);
  return new Promise((done, fail) => {
    const req = request(
      { host: url.hostname, port: url.port, path, headers: { host, "X-VDC-Account-ID": "a-shpoolxx" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d) => {
          body += d;
        });
        res.on("end", () => done({ status: res.statusCode!, body }));
      },
    );
    req.on("error", fail).end();
  });
}

describe("dcmgr over HTTP", () => {
  let api: TestApi;
  before(async () => {
    api = await startApi("sqlite", { serverNames: ["cloud.example.com"] });
  });
  after(() => api.close());

  test("a page on a rebinding name gets 421 everywhere, with what to do; its own names and addresses get answers", async () => {
    const port = new URL(api.origin).port;
    for (const path of ["/api/12.03/instances.json", "/api/agent/v1/instances", "/", "/api/12.03/events"]) {
      const r = await get(api.origin, path, `rebind.example:${port}`);
      assert.equal(r.status, 421, path);
      assert.equal(JSON.parse(r.body).error, "Dcmgr::Endpoints::Errors::MisdirectedRequest");
      assert.match(
        JSON.parse(r.body).message,
        /not 'rebind.example': if that name is this server's, add it \(dcmgr --server-name/,
      );
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `cloud.example.com:${port}`])
      assert.equal((await get(api.origin, "/api/12.03/instances.json", host)).status, 200, host);
  });
});
