// Launching an instance: check what the request names (all within the
// caller's account), size it, place it on a host and lease its addresses, all
// in one transaction so that concurrent launches never overcommit a host or
// share an address. The instance is left `pending` for its host agent.
import { randomBytes } from "node:crypto";
import type { Kysely, Selectable, Transaction } from "kysely";
import { virtualHardware } from "../model/image-features.js";
import { instanceStatus } from "../model/instance-state.js";
import { ipv4ToNumber, numberToIpv4 } from "../model/ipv4.js";
import { isWindows, keyServesWindows, windowsKeyRule } from "../model/launch-rules.js";
import { defaultAccountId, defaultNetwork } from "../model/vocabulary.js";
import {
  defaultWindowsOptions,
  launchWindowsOptions,
  type WindowsOptions,
} from "../model/windows-options.js";
import { freshUuid } from "../store/fresh-uuid.js";
import type { Database, NetworksTable } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { errors } from "./errors.js";
import { recordInstanceEvents } from "./instance-events.js";
import { place, releaseHostUsage } from "./placement.js";

export interface LaunchRequest {
  image_id?: string;
  instance_spec_name?: string;
  hypervisor?: string;
  cpu_cores?: number;
  memory_size?: number;
  ssh_key_id?: string;
  security_groups?: string[];
  vifs?: VifRequest[];
  hostname?: string;
  display_name?: string;
  user_data?: string;
  host_node_id?: string;
  service_type?: string;
  windows_firewall?: boolean;
  auto_activate?: boolean;
  kms_host?: string;
  product_key?: string;
  password_retries?: number;
}

export interface VifRequest {
  network?: string;
  security_groups?: string[];
}

export async function launch(
  store: Store,
  accountId: string,
  req: LaunchRequest,
  windowsDefaults: WindowsOptions = defaultWindowsOptions,
): Promise<string> {
  const lockRows = store.kind === "postgres";
  return store.db.transaction().execute(async (db) => {
    const id = await freshUuid(db, "instances", "instance");
    const image = await db
      .selectFrom("images")
      .selectAll()
      .where("id", "=", req.image_id!)
      .where((eb) => eb.or([eb("account_id", "=", accountId), eb("is_public", "=", 1)]))
      .executeTakeFirst();
    if (!image) throw errors.unknownImage(`image_id: ${req.image_id} does not exist`, "image_id");
    if (image.state !== "available")
      throw errors.invalidParameter(
        `image_id: ${image.id} is ${image.state}: ${image.state === "creating" ? "its backup is still being written; launch it once it is available" : "only an available image launches"}`,
        "image_id",
      );

    const given = {
      windows_firewall: req.windows_firewall,
      auto_activate: req.auto_activate,
      kms_host: req.kms_host,
      product_key: req.product_key,
      password_retries: req.password_retries,
    };
    const chosen = launchWindowsOptions(given, image, windowsDefaults);
    if ("problem" in chosen) throw errors.invalidParameter(chosen.problem, chosen.field);
    const windows = chosen.options;
    const size = await sizing(db, req);
    const key = await sshKey(db, accountId, req.ssh_key_id, isWindows(image.os_type));
    const vifRequests = req.vifs ?? [{ network: defaultNetwork.id }];
    const groupIds = [
      ...new Set([...(req.security_groups ?? []), ...vifRequests.flatMap((v) => v.security_groups ?? [])]),
    ];
    for (const g of groupIds) {
      const found = await db
        .selectFrom("security_groups")
        .select("id")
        .where("id", "=", g)
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      if (!found) {
        const field = req.security_groups?.includes(g) ? "security_groups" : "vifs";
        throw errors.unknownSecurityGroup(`${field}: ${g} does not exist`, field);
      }
    }

    const hostId = await place(db, lockRows, {
      ...size,
      arch: image.arch,
      host_node_id: req.host_node_id,
      hardware: virtualHardware(JSON.parse(image.features)),
    });
    const stamp = new Date().toISOString();
    await db
      .insertInto("instances")
      .values({
        id,
        account_id: accountId,
        host_node_id: hostId,
        image_id: image.id,
        instance_spec_name: req.instance_spec_name ?? null,
        cpu_cores: size.cpu_cores,
        memory_size: size.memory_size,
        cpu_model: size.cpu_model,
        hypervisor: size.hypervisor,
        arch: image.arch,
        os_type: image.os_type,
        state: "pending",
        status: instanceStatus("pending", null),
        error: null,
        hostname: req.hostname ?? id.slice(2),
        display_name: req.display_name ?? null,
        service_type: req.service_type ?? image.service_type,
        ssh_key_pair_id: key?.id ?? null,
        ssh_public_key: key?.public_key ?? null,
        user_data: req.user_data ?? null,
        encrypted_password: null,
        password_will_be_deleted_at: null,
        created_at: stamp,
        updated_at: stamp,
        terminated_at: null,
        deleted_at: null,
        requested_action: null,
        windows_options: windows && JSON.stringify(windows),
      })
      .execute();
    if (groupIds.length) {
      await db
        .insertInto("instance_security_groups")
        .values(groupIds.map((g) => ({ instance_id: id, security_group_id: g })))
        .execute();
    }
    for (const [index, vif] of vifRequests.entries()) {
      await addVif(db, lockRows, accountId, id, index, vif.network ?? defaultNetwork.id, stamp);
    }
    await recordInstanceEvents(db, [id]);
    return id;
  });
}

async function sizing(db: Kysely<Database>, req: LaunchRequest) {
  if (req.instance_spec_name) {
    const spec = await db
      .selectFrom("instance_specs")
      .selectAll()
      .where("name", "=", req.instance_spec_name)
      .executeTakeFirst();
    if (!spec)
      throw errors.unknownInstanceSpec(
        `instance_spec_name: ${req.instance_spec_name} does not exist`,
        "instance_spec_name",
      );
    // Explicit values refine the preset.
    return {
      hypervisor: req.hypervisor ?? spec.hypervisor,
      cpu_cores: req.cpu_cores ?? spec.cpu_cores,
      memory_size: req.memory_size ?? spec.memory_size,
      cpu_model: spec.cpu_model,
    };
  }
  if (req.cpu_cores === undefined || req.memory_size === undefined) {
    throw errors.undefinedRequiredParameter(
      "give instance_spec_name (e.g. kvm.xlarge), or cpu_cores and memory_size",
      "instance_spec_name",
    );
  }
  return {
    hypervisor: req.hypervisor ?? "kvm",
    cpu_cores: req.cpu_cores,
    memory_size: req.memory_size,
    cpu_model: null,
  };
}

async function sshKey(db: Kysely<Database>, accountId: string, keyId: string | undefined, windows: boolean) {
  if (!keyId) {
    if (windows) throw errors.invalidParameter(`${windowsKeyRule}; give ssh_key_id`, "ssh_key_id");
    return undefined;
  }
  const key = await db
    .selectFrom("ssh_key_pairs")
    .selectAll()
    .where("id", "=", keyId)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!key) throw errors.unknownSshKeyPair(`ssh_key_id: ${keyId} does not exist`, "ssh_key_id");
  if (windows && !keyServesWindows(key.key_type)) {
    throw errors.invalidParameter(`${windowsKeyRule}; ${keyId} is ${key.key_type}`, "ssh_key_id");
  }
  return key;
}

async function addVif(
  db: Transaction<Database>,
  lockRows: boolean,
  accountId: string,
  instanceId: string,
  index: number,
  networkId: string,
  stamp: string,
): Promise<void> {
  // The operator's networks (those of the default account) are offered to every account.
  let q = db
    .selectFrom("networks")
    .selectAll()
    .where("id", "=", networkId)
    .where("account_id", "in", [accountId, defaultAccountId]);
  if (lockRows) q = q.forUpdate();
  const network = await q.executeTakeFirst();
  if (!network) throw errors.unknownNetwork(`vifs: network ${networkId} does not exist`, "vifs");
  const address = await freeAddress(db, network);
  if (!address) throw errors.outOfNetworkCapacity(`network ${networkId} has no free address left`);
  const vifId = await freshUuid(db, "instance_vifs", "vif");
  await db
    .insertInto("instance_vifs")
    .values({
      id: vifId,
      instance_id: instanceId,
      network_id: networkId,
      device_index: index,
      mac_address: await freeMac(db),
      port_forwards: "[]",
    })
    .execute();
  await db
    .insertInto("network_leases")
    .values({
      network_id: networkId,
      ipv4_address: address,
      ipv4_number: ipv4ToNumber(address),
      vif_id: vifId,
      created_at: stamp,
    })
    .execute();
}

/**
 * The address after the highest leased one, so a launch reads one index entry;
 * once the range's end is reached, the lowest gap left by terminated
 * instances. The gateway and the DNS server are never leased.
 */
async function freeAddress(
  db: Kysely<Database>,
  network: Selectable<NetworksTable>,
): Promise<string | undefined> {
  const begin = ipv4ToNumber(network.range_begin);
  const end = ipv4ToNumber(network.range_end);
  const reserved = new Set(
    [network.ipv4_gw, network.dns_server].filter((a): a is string => a !== null).map(ipv4ToNumber),
  );
  const leased = db.selectFrom("network_leases").where("network_id", "=", network.id);
  const { highest } = await leased
    .select((eb) => eb.fn.max<number | null>("ipv4_number").as("highest"))
    .where("ipv4_number", ">=", begin)
    .where("ipv4_number", "<=", end)
    .executeTakeFirstOrThrow();
  for (let n = highest === null ? begin : Number(highest) + 1; n <= end; n++) {
    if (!reserved.has(n)) return numberToIpv4(n);
  }
  const taken = new Set(
    (
      await leased
        .select("ipv4_number")
        .where("ipv4_number", ">=", begin)
        .where("ipv4_number", "<=", end)
        .execute()
    ).map((l) => Number(l.ipv4_number)),
  );
  for (let n = begin; n <= end; n++) {
    if (!taken.has(n) && !reserved.has(n)) return numberToIpv4(n);
  }
  return undefined;
}

/**
 * A MAC in QEMU's 52:54:00 range that no interface has: its 24 random bits
 * would collide after a few thousand instances if chance were trusted.
 */
async function freeMac(db: Kysely<Database>): Promise<string> {
  for (;;) {
    const mac = ["52", "54", "00", ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"))].join(
      ":",
    );
    if (
      !(await db.selectFrom("instance_vifs").select("id").where("mac_address", "=", mac).executeTakeFirst())
    )
      return mac;
  }
}

/**
 * Terminating frees what the instance held: its addresses go back to their
 * networks and its cpu and memory to its host. Called once, in the
 * transaction that makes it terminated.
 */
export async function releaseResources(
  db: Kysely<Database>,
  instance: { id: string; host_node_id: string | null; cpu_cores: number; memory_size: number },
): Promise<void> {
  const vifIds = (
    await db.selectFrom("instance_vifs").select("id").where("instance_id", "=", instance.id).execute()
  ).map((v) => v.id);
  if (vifIds.length) await db.deleteFrom("network_leases").where("vif_id", "in", vifIds).execute();
  if (instance.host_node_id) await releaseHostUsage(db, instance.host_node_id, instance);
}
