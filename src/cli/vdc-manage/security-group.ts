// `vdc-manage securitygroup`: users' security groups (created through the API), for the operator to see and remove.
import { uuidField } from "../../model/fields.js";
import { securityGroupRecord } from "../../store/records.js";
import type { CommandGroup } from "../command.js";
import type { Ctx } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const groupUuid = uuidField("securityGroup");

const show = showCommand({
  table: "security_groups",
  uuid: groupUuid,
  words: "security groups",
  record: securityGroupRecord,
  columns: ["UUID", "Account ID", "Service Type", "Name"],
  row: (r) => [r.id, r.account_id, r.service_type, r.display_name],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Account ID", r.account_id],
    ["Service Type", r.service_type],
    ["Rules", `\n${r.rule}`],
    ["Description", r.description],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

const del = delCommand({
  table: "security_groups",
  uuid: groupUuid,
  summary: "Delete a security group",
  async inUse(db, id) {
    const member = await db
      .selectFrom("instance_security_groups")
      .innerJoin("instances", "instances.id", "instance_security_groups.instance_id")
      .select("instances.id")
      .where("security_group_id", "=", id)
      .where("instances.state", "!=", "terminated")
      .executeTakeFirst();
    if (member) return `instance ${member.id} is in it: terminate the instance or change its groups first`;
    const referrer = await db
      .selectFrom("security_group_rules")
      .select("security_group_id")
      .where("source_group_id", "=", id)
      .where("security_group_id", "!=", id)
      .executeTakeFirst();
    return referrer && `a rule of ${referrer.security_group_id} names it as a source: change that rule first`;
  },
  async detach(db, id) {
    await db.deleteFrom("instance_security_groups").where("security_group_id", "=", id).execute();
  },
});

export const securityGroupCommands: CommandGroup<Ctx> = {
  name: "securitygroup",
  summary: "List and delete security groups",
  commands: [del, show],
};
