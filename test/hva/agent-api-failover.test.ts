// `hva --dcmgr URL1,URL2`: the agent's calls go to the first dcmgr that
// answers and stay there; when it stops they go to the next, over real HTTP
// against two dcmgr servers on one store. A command line with a bad URL in
// the list is refused by name.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildServer } from "../../src/dcmgr/server.js";
import { AgentApi } from "../../src/hva/agent-api.js";
import { httpUrlListField } from "../../src/model/fields.js";
import { startApi, type TestApi } from "../helpers/api.js";
import { freePort } from "../helpers/net.js";

let api: TestApi;
let second: FastifyInstance;
let secondOrigin = "";
let token = "";

before(async () => {
  api = await startApi("sqlite");
  token = await api.token("host_node", "hn-demo1");
  second = await buildServer(api.store, { requireTokens: false, passwords: { deleteAfterMinutes: 0 } });
  const port = await freePort();
  await second.listen({ host: "127.0.0.1", port });
  secondOrigin = `http://127.0.0.1:${port}`;
});
after(async () => {
  await second?.close();
  await api?.close();
});

test("the agent fails over to the next dcmgr when one stops, and says so once", async () => {
  const switched: string[] = [];
  const down = `http://127.0.0.1:${await freePort()}`;
  const agent = new AgentApi([down, api.origin, secondOrigin], token, (from, to) =>
    switched.push(`${from} -> ${to}`),
  );
  assert.equal((await agent.heartbeat()).host_node_id, "hn-demo1");
  assert.deepEqual(switched, [`${down} -> ${api.origin}`], "past the one that never answered");
  assert.ok(Array.isArray((await agent.hostState()).instances));
  assert.equal(switched.length, 1, "it stays with the one that answers");

  await api.app.close();
  assert.equal((await agent.heartbeat()).host_node_id, "hn-demo1", "the second dcmgr serves the same host");
  assert.deepEqual(switched.slice(1), [`${api.origin} -> ${secondOrigin}`]);

  await second.close();
  await assert.rejects(agent.heartbeat(), /no dcmgr answers \(.*127\.0\.0\.1.*\): ECONNREFUSED/);
  // Started again so that after() closes the store normally.
  await api.restart(async () => {});
});

test("--dcmgr takes a comma-separated list of http(s) URLs and names the one that is not", () => {
  assert.deepEqual(httpUrlListField.parse("http://a:9001, https://b:9001/,http://a:9001"), [
    "http://a:9001",
    "https://b:9001",
  ]);
  assert.throws(() => httpUrlListField.parse("http://a:9001,ftp://b"), /'ftp:\/\/b' is not an http\(s\) URL/);
  assert.throws(() => httpUrlListField.parse(" , "), /at least one URL/);
});
