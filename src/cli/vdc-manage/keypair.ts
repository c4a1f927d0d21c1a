// `vdc-manage keypair`: users' ssh key pairs (created through the API), for the operator to see and remove.
import { uuidField } from "../../model/fields.js";
import { sshKeyPairRecord } from "../../store/records.js";
import type { CommandGroup } from "../command.js";
import type { Ctx } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const keyUuid = uuidField("sshKeyPair");

const show = showCommand({
  table: "ssh_key_pairs",
  uuid: keyUuid,
  words: "ssh key pairs",
  record: sshKeyPairRecord,
  columns: ["UUID", "Account ID", "Type", "Fingerprint", "Name"],
  row: (r) => [r.id, r.account_id, r.key_type, r.fingerprint, r.display_name],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Account ID", r.account_id],
    ["Type", r.key_bits ? `${r.key_type} ${r.key_bits} bits` : r.key_type],
    ["Fingerprint", r.fingerprint],
    ["Public Key", r.public_key],
    ["Description", r.description],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

// Instances keep a copy of their public key, so a key pair can go while they run.
const del = delCommand({
  table: "ssh_key_pairs",
  uuid: keyUuid,
  summary: "Delete an ssh key pair",
  inUse: async () => undefined,
});

export const keypairCommands: CommandGroup<Ctx> = {
  name: "keypair",
  summary: "List and delete ssh key pairs",
  commands: [del, show],
};
