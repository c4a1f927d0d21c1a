// The host firewall in force, in real network namespaces with real nftables
// and a real bridge (no VMs: each guest is a namespace on a veth whose host
// end stands for its tap). What ruleset.ts renders and apply.ts applies must
// let in what the groups allow and nothing else, on routed and on bridged
// paths, stop a guest that takes another address or MAC, follow a rule
// change at once, and leave everyone else's tables alone.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { applyRuleset, forgetConnections, listRuleset } from "../../src/hva/firewall/apply.js";
import type { FirewallGroup, HostFirewall } from "../../src/hva/firewall/host-firewall.js";
import { narrowedAddresses } from "../../src/hva/firewall/narrowed.js";
import { renderRuleset } from "../../src/hva/firewall/ruleset.js";
import { makeSegment, type Segment, withoutNetns } from "../helpers/netns.js";

const rdp = {
  protocol: "tcp",
  from_port: 3389,
  to_port: 3389,
  source_cidr: "0.0.0.0/0",
  source_group_id: null,
} as const;

describe("the host firewall in network namespaces", { skip: withoutNetns }, () => {
  let net: Segment;
  let app: Segment["guests"][number];
  let web: Segment["guests"][number];
  let state: (appRules: FirewallGroup["rules"], webRules?: FirewallGroup["rules"]) => HostFirewall;

  before(async () => {
    net = makeSegment("wkfw", 2);
    [app, web] = net.guests as [Segment["guests"][number], Segment["guests"][number]];
    state = (appRules, webRules = [rdp]) => ({
      vifs: [
        { id: "vif-app00001", tap: app.tap, mac: app.mac, ipv4: app.ipv4, groups: ["sg-app"] },
        { id: "vif-web00002", tap: web.tap, mac: web.mac, ipv4: web.ipv4, groups: ["sg-web"] },
      ],
      groups: [
        { id: "sg-app", rules: appRules, members: [app.ipv4] },
        { id: "sg-web", rules: webRules, members: [web.ipv4] },
      ],
    });
    // Someone else's table, which nothing of ours may touch.
    execFileSync("ip", [
      "netns",
      "exec",
      net.host,
      "nft",
      "add table inet someone_else; add chain inet someone_else c",
    ]);
    await applyRuleset(
      renderRuleset(
        state([
          { protocol: "tcp", from_port: 5432, to_port: 5432, source_cidr: null, source_group_id: "sg-web" },
        ]),
      ),
      { netns: net.host },
    );
    for (const port of [3389, 5432]) await net.listen(app.ns, port);
    await net.listen(web.ns, 3389);
    await net.listen(web.ns, 8080);
    await net.listen(net.outside, 8080);
  });
  after(() => net?.remove());

  test("in: what a group allows, from a CIDR or from a group's members, routed or bridged; nothing else", async () => {
    assert.equal(
      await net.connects(net.outside, web.ipv4, 3389),
      true,
      "outside -> web:3389 (from anywhere)",
    );
    assert.equal(
      await net.connects(net.outside, app.ipv4, 3389),
      false,
      "outside -> app:3389 (no such rule)",
    );
    assert.equal(
      await net.connects(web.ns, app.ipv4, 5432),
      true,
      "web -> app:5432 (web's group is the source), bridged",
    );
    assert.equal(
      await net.connects(net.outside, app.ipv4, 5432),
      false,
      "outside -> app:5432 (not in web's group)",
    );
    assert.equal(await net.connects(app.ns, web.ipv4, 3389), true, "app -> web:3389, bridged");
    assert.equal(
      await net.connects(app.ns, "10.9.0.2", 8080),
      true,
      "a guest's own connections out, and their replies",
    );
  });

  test("a guest that takes another address or another MAC gets nothing through", async () => {
    const inGuest = (...args: string[]) => execFileSync("ip", ["-n", web.ns, ...args]);
    try {
      inGuest("addr", "flush", "dev", "eth0");
      inGuest("addr", "add", "10.0.2.150/24", "dev", "eth0");
      inGuest("route", "add", "default", "via", "10.0.2.1");
      assert.equal(await net.connects(web.ns, "10.9.0.2", 8080), false, "another address");
      inGuest("addr", "flush", "dev", "eth0");
      inGuest("addr", "add", `${app.ipv4}/24`, "dev", "eth0");
      inGuest("route", "add", "default", "via", "10.0.2.1");
      assert.equal(await net.connects(web.ns, "10.9.0.2", 8080), false, "its neighbour's address");
      inGuest("addr", "flush", "dev", "eth0");
      inGuest("addr", "add", `${web.ipv4}/24`, "dev", "eth0");
      inGuest("route", "add", "default", "via", "10.0.2.1");
      inGuest("link", "set", "eth0", "address", "52:54:00:00:00:99");
      assert.equal(await net.connects(web.ns, "10.9.0.2", 8080), false, "another MAC");
    } finally {
      inGuest("link", "set", "eth0", "address", web.mac);
    }
    assert.equal(await net.connects(web.ns, "10.9.0.2", 8080, 3000), true, "itself again");
  });

  test("a rule added is in force at once, and gone once removed; other tables untouched", async () => {
    await applyRuleset(renderRuleset(state([rdp])), { netns: net.host });
    assert.equal(await net.connects(net.outside, app.ipv4, 3389), true, "the added rule");
    assert.equal(await net.connects(web.ns, app.ipv4, 5432), false, "the removed rule");
    await applyRuleset(renderRuleset(state([])), { netns: net.host });
    assert.equal(await net.connects(net.outside, app.ipv4, 3389), false);
    assert.match(await listRuleset({ netns: net.host }), /chain to_app00001/);
    const tables = execFileSync("ip", ["netns", "exec", net.host, "nft", "list", "tables"]).toString();
    assert.match(tables, /table inet someone_else/);
    // A ruleset the kernel refuses changes nothing.
    await assert.rejects(
      applyRuleset("table inet wakame_filter { chain c { nonsense } }", { netns: net.host }),
      /nft refused/,
    );
    assert.match(await listRuleset({ netns: net.host }), /chain to_app00001/);
  });

  test("a removed rule ends the open connections it allowed; one a remaining rule allows goes on", async () => {
    const http = { ...rdp, from_port: 8080, to_port: 8080 };
    const before = state([], [rdp, http]);
    await applyRuleset(renderRuleset(before), { netns: net.host });
    const desktop = await net.hold(net.outside, web.ipv4, 3389);
    const site = await net.hold(net.outside, web.ipv4, 8080);
    try {
      assert.equal(await desktop.echoes(), true);
      assert.equal(await site.echoes(), true);
      const after = state([], [http]);
      assert.deepEqual(narrowedAddresses(before, after), [web.ipv4]);
      await applyRuleset(renderRuleset(after), { netns: net.host });
      await forgetConnections(narrowedAddresses(before, after), { netns: net.host });
      assert.equal(await desktop.echoes(), false, "the connection the removed rule allowed is cut");
      assert.equal(await site.echoes(), true, "the one still allowed goes on");
      // Nothing to forget is no error.
      await forgetConnections(["10.0.2.199"], { netns: net.host });
    } finally {
      desktop.close();
      site.close();
    }
  });
});
