// What a bridged host should have, decided from its state (pure): bridges and
// uplinks per network, the bridge's own addresses in the order that makes the
// gateway's the primary, the DHCP server's static entries and command line,
// and the firewall's input.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BridgePlanError,
  dnsmasqArgs,
  hostFirewall,
  planBridges,
} from "../../src/hva/network/bridge-plan.js";
import type { HostNetwork, HostState, WantedInstance } from "../../src/model/agent-contract.js";

const network = (over: Partial<HostNetwork> = {}): HostNetwork => ({
  id: "nw-demo1",
  ipv4_network: "10.0.2.0",
  prefix: 24,
  ipv4_gw: "10.0.2.2",
  dns_server: "10.0.2.3",
  dhcp_server: "10.0.2.253",
  uplink: "interface",
  nat: true,
  ...over,
});

const instance = (
  id: string,
  vifs: { id: string; mac: string; ipv4: string | null; network?: string }[],
  groups: string[],
) =>
  ({
    id,
    hostname: id.slice(2),
    security_group_ids: groups,
    vifs: vifs.map((v, index) => ({
      id: v.id,
      index,
      network_id: v.network ?? "nw-demo1",
      mac_address: v.mac,
      ipv4_address: v.ipv4,
      netmask: "255.255.255.0",
      gateway: "10.0.2.2",
      dns: null,
    })),
  }) as unknown as WantedInstance;

const state = (networks: HostNetwork[], instances: WantedInstance[]): HostState => ({
  revision: "r",
  networks,
  instances,
  security_groups: [{ id: "sg-rdp", members: ["10.0.2.100"], rules: [] }],
});

test("a bridge per network, its uplink by kind, and addresses: the gateway's first, on the gateway host only", () => {
  const s = state(
    [
      network(),
      network({ id: "nw-vlan0001", uplink: "vlan:100", nat: false }),
      network({ id: "nw-vx000001", uplink: "vxlan:42", dhcp_server: null, ipv4_gw: null }),
    ],
    [],
  );
  const rows = planBridges(s, { uplinkDevice: "eth1", gateway: true }).map((p) => [
    p.bridge,
    p.uplink,
    p.addresses,
  ]);
  assert.deepEqual(rows, [
    ["br-demo1", { kind: "device", name: "eth1" }, ["10.0.2.2/24", "10.0.2.253/24"]],
    [
      "br-vlan0001",
      { kind: "vlan", name: "ul-vlan0001", parent: "eth1", id: 100 },
      ["10.0.2.2/24", "10.0.2.253/24"],
    ],
    ["br-vx000001", { kind: "vxlan", name: "ul-vx000001", parent: "eth1", vni: 42, group: "239.7.7.7" }, []],
  ]);
  const notGateway = planBridges(s, { uplinkDevice: "eth1", gateway: false });
  assert.deepEqual(notGateway[0]!.addresses, ["10.0.2.253/24"]);
  assert.equal(
    planBridges(state([network({ uplink: null })], []), { uplinkDevice: null, gateway: false })[0]!.uplink,
    null,
  );
});

test("an uplink without the host's uplink device is refused with what to do", () => {
  assert.throws(
    () => planBridges(state([network()], []), { uplinkDevice: null, gateway: false }),
    (err: Error) => err instanceof BridgePlanError && /--uplink-device/.test(err.message),
  );
});

test("DHCP: static entries for this host's vifs with addresses, none without a DHCP server", () => {
  const s = state(
    [network(), network({ id: "nw-other001", dhcp_server: null })],
    [
      instance(
        "i-aaaa0001",
        [{ id: "vif-aaaa0001", mac: "52:54:00:00:00:01", ipv4: "10.0.2.100" }],
        ["sg-rdp"],
      ),
      instance("i-bbbb0002", [{ id: "vif-bbbb0002", mac: "52:54:00:00:00:02", ipv4: null }], []),
      instance(
        "i-cccc0003",
        [{ id: "vif-cccc0003", mac: "52:54:00:00:00:03", ipv4: "10.0.2.9", network: "nw-other001" }],
        [],
      ),
    ],
  );
  const [demo, other] = planBridges(s, { uplinkDevice: "eth1", gateway: false });
  assert.deepEqual(demo!.dhcpHosts, ["52:54:00:00:00:01,10.0.2.100,aaaa0001"]);
  assert.equal(other!.dhcpHosts, null);
  const args = dnsmasqArgs(demo!, "/run/d.pid");
  for (const a of [
    "--port=0",
    "--interface=br-demo1",
    "--listen-address=10.0.2.253",
    "--dhcp-range=10.0.2.0,static,255.255.255.0,12h",
    "--leasefile-ro",
    "--dhcp-option=option:router,10.0.2.2",
    "--dhcp-option=option:dns-server,10.0.2.3",
    "--dhcp-host=52:54:00:00:00:01,10.0.2.100,aaaa0001",
  ])
    assert.ok(args.includes(a), `${a} in ${args.join(" ")}`);
});

test("the firewall's input: vifs with addresses behind their groups, DHCP servers host-local, NAT on the gateway", () => {
  const s = state(
    [network(), network({ id: "nw-local001", uplink: null, nat: true, ipv4_network: "10.5.0.0" })],
    [
      instance(
        "i-aaaa0001",
        [{ id: "vif-aaaa0001", mac: "52:54:00:00:00:01", ipv4: "10.0.2.100" }],
        ["sg-rdp"],
      ),
      instance("i-bbbb0002", [{ id: "vif-bbbb0002", mac: "52:54:00:00:00:02", ipv4: null }], []),
    ],
  );
  const o = { uplinkDevice: "eth1", gateway: true };
  const fw = hostFirewall(s, planBridges(s, o), o);
  assert.deepEqual(fw.vifs, [
    {
      id: "vif-aaaa0001",
      tap: "tap-aaaa0001",
      mac: "52:54:00:00:00:01",
      ipv4: "10.0.2.100",
      groups: ["sg-rdp"],
    },
  ]);
  // A network without an uplink is this host's alone: its DHCP server needs no keeping apart.
  assert.deepEqual(fw.hostLocal, { uplinks: ["eth1"], addresses: ["10.0.2.253"] });
  assert.deepEqual(fw.masquerade, ["10.0.2.0/24", "10.5.0.0/24"]);
  assert.deepEqual(
    hostFirewall(s, planBridges(s, { ...o, gateway: false }), { ...o, gateway: false }).masquerade,
    [],
  );
});
