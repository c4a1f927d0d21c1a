// `vdc-manage network`: an IPv4 network and the range its addresses are leased from.
import { enumField, flagField, intField, ipv4Field, textField, uuidField } from "../../model/fields.js";
import { inNetwork, ipv4ToNumber, networkAddress, numberToIpv4 } from "../../model/ipv4.js";
import { uplinkField } from "../../model/network-uplink.js";
import { defaultAccountId, networkModes, serviceTypes } from "../../model/vocabulary.js";
import { networkInUse } from "../../store/in-use.js";
import { networkRecord } from "../../store/records.js";
import { arg, type CommandGroup, command } from "../command.js";
import { UserError } from "../errors.js";
import { addRow, type Ctx, modifyRow, requireRow } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const networkUuid = uuidField("network");

const networkOptions = {
  ipv4_network: { field: ipv4Field, desc: "IPv4 network address" },
  prefix: { field: intField({ min: 8, max: 30 }), desc: "IP network mask size" },
  ipv4_gw: { field: ipv4Field, desc: "Gateway address for IPv4 network" },
  dns: { field: ipv4Field, desc: "IP address for DNS server of the network" },
  range_begin: {
    field: ipv4Field,
    desc: "First address leased to instances (default: the first host address)",
  },
  range_end: { field: ipv4Field, desc: "Last address leased to instances (default: the last host address)" },
  display_name: { field: textField(), desc: "Display name of the network" },
  description: { field: textField({ max: 4096 }), desc: "Description for the network" },
  account_id: { field: uuidField("account"), desc: "The account ID to own this" },
  network_mode: { field: enumField(networkModes), desc: "Network mode" },
  service_type: { field: enumField(serviceTypes), desc: "Service type of the network" },
  uplink: {
    field: uplinkField,
    desc: "How bridged hosts share the segment, on each host's --uplink-device (default: none)",
  },
  dhcp_server: {
    field: ipv4Field,
    desc: "Address each bridged host's DHCP server answers from, outside the range (default: no DHCP)",
  },
  nat: { field: flagField, desc: "The gateway host masquerades the network out (--nat false: not)" },
};

interface Addressing {
  ipv4_network: string;
  prefix: number;
  ipv4_gw: string | null;
  range_begin: string;
  range_end: string;
  dhcp_server: string | null;
}

/** The network address normalized (as the original did) and every address checked against it. */
function checkAddressing(a: {
  ipv4_network: string;
  prefix: number;
  ipv4_gw?: string | null;
  range_begin?: string;
  range_end?: string;
  dhcp_server?: string | null;
}): Addressing {
  const net = networkAddress(a.ipv4_network, a.prefix);
  const first = ipv4ToNumber(net) + 1;
  const last = ipv4ToNumber(net) + 2 ** (32 - a.prefix) - 2;
  const within = (option: string, address: string) => {
    const n = ipv4ToNumber(address);
    if (!inNetwork(address, net, a.prefix) || n < first || n > last) {
      throw new UserError(
        `--${option}: ${address} is not a host address of ${net}/${a.prefix} (${numberToIpv4(first)} to ${numberToIpv4(last)})`,
      );
    }
  };
  if (a.ipv4_gw) within("ipv4-gw", a.ipv4_gw);
  const begin = a.range_begin ?? numberToIpv4(first);
  const end = a.range_end ?? numberToIpv4(last);
  within("range-begin", begin);
  within("range-end", end);
  if (ipv4ToNumber(begin) > ipv4ToNumber(end)) {
    throw new UserError(`--range-begin ${begin} comes after --range-end ${end}: swap them`);
  }
  if (a.dhcp_server) {
    within("dhcp-server", a.dhcp_server);
    const n = ipv4ToNumber(a.dhcp_server);
    // Every host answers from it, so it must never be leased, nor be the gateway.
    if (n >= ipv4ToNumber(begin) && n <= ipv4ToNumber(end))
      throw new UserError(
        `--dhcp-server ${a.dhcp_server} is inside the range ${begin}-${end}: take an address outside it, or narrow the range`,
      );
    if (a.dhcp_server === a.ipv4_gw)
      throw new UserError(`--dhcp-server ${a.dhcp_server} is the gateway: take another address`);
  }
  return {
    ipv4_network: net,
    prefix: a.prefix,
    ipv4_gw: a.ipv4_gw ?? null,
    range_begin: begin,
    range_end: end,
    dhcp_server: a.dhcp_server ?? null,
  };
}

const add = command({
  name: "add",
  summary: "Register a new network entry",
  args: [],
  options: {
    uuid: { field: networkUuid, desc: "UUID of the network" },
    ...networkOptions,
    ipv4_network: { ...networkOptions.ipv4_network, required: true },
    prefix: { ...networkOptions.prefix, required: true },
    account_id: { ...networkOptions.account_id, default: defaultAccountId },
    network_mode: { ...networkOptions.network_mode, default: "securitygroup" as const },
    service_type: { ...networkOptions.service_type, default: "std" as const },
  },
  async run({ store }: Ctx, _args, o) {
    const addressing = checkAddressing({ ...o, ipv4_network: o.ipv4_network!, prefix: o.prefix! });
    await addRow(store, "networks", "network", o.uuid, async (db) => {
      await requireRow(db, "accounts", o.account_id!, "--account-id");
      return {
        account_id: o.account_id!,
        display_name: o.display_name ?? null,
        ...addressing,
        dns_server: o.dns ?? null,
        network_mode: o.network_mode!,
        service_type: o.service_type!,
        description: o.description ?? null,
        uplink: o.uplink ?? null,
        nat: o.nat ? 1 : 0,
      };
    });
  },
});

const modify = command({
  name: "modify",
  summary: "Update network information",
  args: [arg("UUID", networkUuid)],
  options: networkOptions,
  async run({ store }: Ctx, [id], o) {
    await modifyRow(store, "networks", id!, o, async (db, current) => {
      if (o.account_id) await requireRow(db, "accounts", o.account_id, "--account-id");
      const addressing = checkAddressing({
        ipv4_network: o.ipv4_network ?? current.ipv4_network,
        prefix: o.prefix ?? current.prefix,
        ipv4_gw: o.ipv4_gw ?? current.ipv4_gw,
        range_begin: o.range_begin ?? current.range_begin,
        range_end: o.range_end ?? current.range_end,
        dhcp_server: o.dhcp_server ?? current.dhcp_server,
      });
      const {
        dns,
        nat,
        dhcp_server: _d,
        ipv4_network: _n,
        prefix: _p,
        ipv4_gw: _g,
        range_begin: _b,
        range_end: _e,
        ...columns
      } = o;
      return { ...addressing, ...columns, dns_server: dns, ...(nat !== undefined && { nat: nat ? 1 : 0 }) };
    });
  },
});

const show = showCommand({
  table: "networks",
  uuid: networkUuid,
  words: "networks",
  record: networkRecord,
  columns: ["UUID", "Network", "Gateway", "Range", "Mode", "Name"],
  row: (r) => [
    r.id,
    `${r.ipv4_network}/${r.prefix}`,
    r.ipv4_gw,
    `${r.range_begin}-${r.range_end}`,
    r.network_mode,
    r.display_name,
  ],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Account ID", r.account_id],
    ["Network Mode", r.network_mode],
    ["Service Type", r.service_type],
    ["Network address", `${r.ipv4_network}/${r.prefix}`],
    ["Gateway address", r.ipv4_gw],
    ["DNS Server", r.dns_server],
    ["Address range", `${r.range_begin} - ${r.range_end}`],
    ["Uplink", r.uplink ?? "none"],
    ["DHCP server", r.dhcp_server],
    ["NAT", r.nat ? "yes" : "no"],
    ["Description", r.description],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

const del = delCommand({
  table: "networks",
  uuid: networkUuid,
  summary: "Deregister a network entry",
  inUse: networkInUse,
  async detach(db, id) {
    // Only terminated instances' interfaces are left: they go with the network.
    await db.deleteFrom("network_leases").where("network_id", "=", id).execute();
    await db.deleteFrom("instance_vifs").where("network_id", "=", id).execute();
  },
});

export const networkCommands: CommandGroup<Ctx> = {
  name: "network",
  summary: "Register, change and list networks",
  commands: [add, modify, del, show],
};
