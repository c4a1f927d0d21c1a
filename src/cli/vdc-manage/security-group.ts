// `vdc-manage securitygroup`: users' security groups (created through the API), for the operator to see and remove.
import { uuidField } from "../../model/fields.js";
import { securityGroupInUse } from "../../store/in-use.js";
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
  inUse: securityGroupInUse,
  async detach(db, id) {
    await db.deleteFrom("instance_security_groups").where("security_group_id", "=", id).execute();
  },
});

export const securityGroupCommands: CommandGroup<Ctx> = {
  name: "securitygroup",
  summary: "List and delete security groups",
  commands: [del, show],
};
