// The first schema: what the seed's Windows workflow needs. Written with the
// portable schema builder only, so one migration serves SQLite and PostgreSQL.
import type { CreateTableBuilder, Kysely } from "kysely";

type Table = CreateTableBuilder<string, never>;

const stamps = (t: Table) =>
  t.addColumn("created_at", "text", (c) => c.notNull()).addColumn("updated_at", "text", (c) => c.notNull());

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export async function up(db: Kysely<any>): Promise<void> {
  await stamps(
    db.schema
      .createTable("accounts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("display_name", "text", (c) => c.notNull()),
  ).execute();

  await db.schema
    .createTable("node_states")
    .addColumn("node_id", "text", (c) => c.primaryKey())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text", (c) => c.notNull())
    .execute();

  await stamps(
    db.schema
      .createTable("host_nodes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("node_id", "text", (c) => c.notNull().unique())
      .addColumn("display_name", "text")
      .addColumn("offering_cpu_cores", "integer", (c) => c.notNull())
      .addColumn("offering_memory_size", "bigint", (c) => c.notNull())
      .addColumn("offering_disk_space_mb", "bigint", (c) => c.notNull())
      .addColumn("hypervisor", "text", (c) => c.notNull())
      .addColumn("arch", "text", (c) => c.notNull())
      .addColumn("scheduling_enabled", "integer", (c) => c.notNull()),
  ).execute();

  await stamps(
    db.schema
      .createTable("backup_storages")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("display_name", "text")
      .addColumn("node_id", "text")
      .addColumn("base_uri", "text", (c) => c.notNull())
      .addColumn("storage_type", "text", (c) => c.notNull())
      .addColumn("description", "text"),
  ).execute();

  await stamps(
    db.schema
      .createTable("backup_objects")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("backup_storage_id", "text", (c) => c.notNull().references("backup_storages.id"))
      .addColumn("display_name", "text")
      .addColumn("object_key", "text", (c) => c.notNull())
      .addColumn("size", "bigint", (c) => c.notNull())
      .addColumn("allocation_size", "bigint", (c) => c.notNull())
      .addColumn("checksum", "text", (c) => c.notNull())
      .addColumn("container_format", "text", (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("service_type", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull()),
  ).execute();

  await stamps(
    db.schema
      .createTable("images")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("backup_object_id", "text", (c) => c.notNull().references("backup_objects.id"))
      .addColumn("boot_dev_type", "text", (c) => c.notNull())
      .addColumn("arch", "text", (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("file_format", "text", (c) => c.notNull())
      .addColumn("root_device", "text")
      .addColumn("service_type", "text", (c) => c.notNull())
      .addColumn("display_name", "text", (c) => c.notNull())
      .addColumn("is_public", "integer", (c) => c.notNull())
      .addColumn("is_cacheable", "integer", (c) => c.notNull())
      .addColumn("os_type", "text", (c) => c.notNull())
      .addColumn("features", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull()),
  ).execute();

  await stamps(
    db.schema
      .createTable("instance_specs")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("hypervisor", "text", (c) => c.notNull())
      .addColumn("arch", "text", (c) => c.notNull())
      .addColumn("cpu_cores", "integer", (c) => c.notNull())
      .addColumn("memory_size", "integer", (c) => c.notNull())
      .addColumn("description", "text"),
  ).execute();

  await stamps(
    db.schema
      .createTable("ssh_key_pairs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("display_name", "text")
      .addColumn("description", "text")
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("fingerprint", "text", (c) => c.notNull())
      .addColumn("key_type", "text", (c) => c.notNull())
      .addColumn("key_bits", "integer"),
  ).execute();

  await stamps(
    db.schema
      .createTable("security_groups")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("display_name", "text")
      .addColumn("description", "text")
      .addColumn("service_type", "text", (c) => c.notNull())
      .addColumn("rule", "text", (c) => c.notNull()),
  ).execute();

  await db.schema
    .createTable("security_group_rules")
    .addColumn("security_group_id", "text", (c) =>
      c.notNull().references("security_groups.id").onDelete("cascade"),
    )
    .addColumn("line", "integer", (c) => c.notNull())
    .addColumn("protocol", "text", (c) => c.notNull())
    .addColumn("from_port", "integer", (c) => c.notNull())
    .addColumn("to_port", "integer", (c) => c.notNull())
    .addColumn("source_cidr", "text")
    .addColumn("source_group_id", "text")
    .addPrimaryKeyConstraint("security_group_rules_pk", ["security_group_id", "line"])
    .execute();

  await stamps(
    db.schema
      .createTable("networks")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
      .addColumn("display_name", "text")
      .addColumn("ipv4_network", "text", (c) => c.notNull())
      .addColumn("prefix", "integer", (c) => c.notNull())
      .addColumn("ipv4_gw", "text")
      .addColumn("dns_server", "text")
      .addColumn("range_begin", "text", (c) => c.notNull())
      .addColumn("range_end", "text", (c) => c.notNull())
      .addColumn("network_mode", "text", (c) => c.notNull())
      .addColumn("service_type", "text", (c) => c.notNull())
      .addColumn("description", "text"),
  ).execute();

  await db.schema
    .createTable("instances")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("host_node_id", "text", (c) => c.references("host_nodes.id"))
    // No foreign key: a terminated instance keeps naming the image it ran, even once the image is deleted.
    .addColumn("image_id", "text", (c) => c.notNull())
    .addColumn("instance_spec_name", "text")
    .addColumn("cpu_cores", "integer", (c) => c.notNull())
    .addColumn("memory_size", "integer", (c) => c.notNull())
    .addColumn("hypervisor", "text", (c) => c.notNull())
    .addColumn("arch", "text", (c) => c.notNull())
    .addColumn("os_type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("hostname", "text")
    .addColumn("display_name", "text")
    .addColumn("service_type", "text", (c) => c.notNull())
    .addColumn("ssh_key_pair_id", "text")
    .addColumn("ssh_public_key", "text")
    .addColumn("user_data", "text")
    .addColumn("encrypted_password", "text")
    .addColumn("password_will_be_deleted_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("terminated_at", "text")
    .addColumn("deleted_at", "text")
    .execute();
  // Covers the placement sum (cpu and memory held per host) without reading the rows.
  await db.schema
    .createIndex("instances_host_capacity")
    .on("instances")
    .columns(["host_node_id", "state", "cpu_cores", "memory_size"])
    .execute();
  await db.schema.createIndex("instances_account").on("instances").column("account_id").execute();

  await db.schema
    .createTable("instance_security_groups")
    .addColumn("instance_id", "text", (c) => c.notNull().references("instances.id").onDelete("cascade"))
    .addColumn("security_group_id", "text", (c) => c.notNull().references("security_groups.id"))
    .addPrimaryKeyConstraint("instance_security_groups_pk", ["instance_id", "security_group_id"])
    .execute();
  await db.schema
    .createIndex("instance_security_groups_group")
    .on("instance_security_groups")
    .column("security_group_id")
    .execute();

  await db.schema
    .createTable("instance_vifs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "text", (c) => c.notNull().references("instances.id").onDelete("cascade"))
    .addColumn("network_id", "text", (c) => c.notNull().references("networks.id"))
    .addColumn("device_index", "integer", (c) => c.notNull())
    .addColumn("mac_address", "text", (c) => c.notNull().unique())
    .addColumn("port_forwards", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("instance_vifs_instance").on("instance_vifs").column("instance_id").execute();

  await db.schema
    .createTable("network_leases")
    .addColumn("network_id", "text", (c) => c.notNull().references("networks.id"))
    .addColumn("ipv4_address", "text", (c) => c.notNull())
    // The address as a number: the next free one is found by index, not by reading every lease.
    .addColumn("ipv4_number", "bigint", (c) => c.notNull())
    .addColumn("vif_id", "text", (c) => c.unique().references("instance_vifs.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("network_leases_pk", ["network_id", "ipv4_address"])
    .execute();
  await db.schema
    .createIndex("network_leases_number")
    .on("network_leases")
    .columns(["network_id", "ipv4_number"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "network_leases",
    "instance_vifs",
    "instance_security_groups",
    "instances",
    "networks",
    "security_group_rules",
    "security_groups",
    "ssh_key_pairs",
    "instance_specs",
    "images",
    "backup_objects",
    "backup_storages",
    "host_nodes",
    "node_states",
    "accounts",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
