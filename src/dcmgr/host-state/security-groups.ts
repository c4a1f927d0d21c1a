// What a host's firewall needs: its instances' groups and their rules, and
// the current addresses of every member of those groups and of the groups
// the rules name, wherever those members run.
import type { HostSecurityGroup, SecurityGroupRule } from "../../model/agent-contract.js";
import { byInstance, type Db } from "./db.js";

export async function loadSecurityGroups(db: Db, instanceIds: readonly string[]) {
  const memberships = instanceIds.length
    ? await db
        .selectFrom("instance_security_groups")
        .select(["instance_id", "security_group_id"])
        .where("instance_id", "in", instanceIds)
        .orderBy("instance_id")
        .orderBy("security_group_id")
        .execute()
    : [];
  const ownGroups = [...new Set(memberships.map((m) => m.security_group_id))].sort();
  const rules = ownGroups.length
    ? await db
        .selectFrom("security_group_rules")
        .select(["security_group_id", "protocol", "from_port", "to_port", "source_cidr", "source_group_id"])
        .where("security_group_id", "in", ownGroups)
        .orderBy("security_group_id")
        .orderBy("line")
        .execute()
    : [];
  const rulesOf = (group: string): SecurityGroupRule[] =>
    rules.filter((r) => r.security_group_id === group).map(({ security_group_id: _g, ...rule }) => rule);
  const groupIds = [
    ...new Set([...ownGroups, ...rules.flatMap((r) => (r.source_group_id ? [r.source_group_id] : []))]),
  ].sort();
  const members = await loadMembers(db, groupIds);
  const groupsOf = byInstance(memberships, (m) => m.security_group_id);
  return {
    groupsOf,
    rulesOf: (instanceId: string) => groupsOf(instanceId).flatMap(rulesOf),
    groups: groupIds.map(
      (id): HostSecurityGroup => ({
        id,
        rules: rulesOf(id),
        members: [...new Set(members.filter((m) => m.security_group_id === id).map((m) => m.ipv4_address))],
      }),
    ),
  };
}

/** The leased addresses of the groups' live members, on every host. */
async function loadMembers(db: Db, groupIds: readonly string[]) {
  if (!groupIds.length) return [];
  return db
    .selectFrom("instance_security_groups")
    .innerJoin("instances", "instances.id", "instance_security_groups.instance_id")
    .innerJoin("instance_vifs", "instance_vifs.instance_id", "instances.id")
    .innerJoin("network_leases", "network_leases.vif_id", "instance_vifs.id")
    .select(["instance_security_groups.security_group_id", "network_leases.ipv4_address"])
    .where("instance_security_groups.security_group_id", "in", groupIds)
    .where("instances.state", "!=", "terminated")
    .orderBy("network_leases.ipv4_address")
    .execute();
}
