// `vdc-manage account` and `vdc-manage token`: who may call the API, and the
// bearer tokens for users (an account's) and host agents (a host node's).
import { randomBytes } from "node:crypto";
import { hashToken } from "../../dcmgr/caller.js";
import { textField, uuidField } from "../../model/fields.js";
import { arg, type CommandGroup, command } from "../command.js";
import { UsageError, UserError } from "../errors.js";
import { jsonOption, printJson, printTable } from "../output.js";
import { addRow, type Ctx, now, requireRow } from "./context.js";
import { delCommand, showCommand } from "./show-del.js";

const accountUuid = uuidField("account");

const addAccount = command({
  name: "add",
  summary: "Register an account",
  args: [],
  options: {
    uuid: { field: accountUuid, desc: "The UUID for the account" },
    display_name: { field: textField(), desc: "The name of the account", required: true },
  },
  async run({ store }: Ctx, _args, o) {
    await addRow(store, "accounts", "account", o.uuid, async () => ({ display_name: o.display_name! }));
  },
});

const showAccount = showCommand({
  table: "accounts",
  uuid: accountUuid,
  words: "accounts",
  record: (r) => ({ ...r }),
  columns: ["UUID", "Name"],
  row: (r) => [r.id, r.display_name],
  details: (r) => [
    ["UUID", r.id],
    ["Name", r.display_name],
    ["Create", r.created_at],
    ["Update", r.updated_at],
  ],
});

const ownedTables = [
  "instances",
  "images",
  "backup_objects",
  "ssh_key_pairs",
  "security_groups",
  "networks",
] as const;

const delAccount = delCommand({
  table: "accounts",
  uuid: accountUuid,
  summary: "Delete an account that owns nothing",
  async inUse(db, id) {
    for (const table of ownedTables) {
      const row = await db.selectFrom(table).select("id").where("account_id", "=", id).executeTakeFirst();
      if (row) return `it owns ${row.id}: delete what it owns first`;
    }
    return undefined;
  },
  async detach(db, id) {
    await db.deleteFrom("api_tokens").where("kind", "=", "account").where("subject_id", "=", id).execute();
  },
});

export const accountCommands: CommandGroup<Ctx> = {
  name: "account",
  summary: "Register, list and delete accounts",
  commands: [addAccount, delAccount, showAccount],
};

const addToken = command({
  name: "add",
  summary: "Make an API token for an account (users) or a host node (its agent); it is printed once",
  args: [],
  options: {
    account_id: { field: accountUuid, desc: "The account the token acts for" },
    host_node_id: { field: uuidField("hostNode"), desc: "The host node whose agent uses the token" },
    description: { field: textField(), desc: "What the token is for" },
  },
  async run({ store }: Ctx, _args, o) {
    if ((o.account_id === undefined) === (o.host_node_id === undefined)) {
      throw new UsageError("give exactly one of --account-id and --host-node-id");
    }
    const token = randomBytes(24).toString("base64url");
    await store.db.transaction().execute(async (db) => {
      if (o.account_id) await requireRow(db, "accounts", o.account_id, "--account-id");
      if (o.host_node_id) await requireRow(db, "host_nodes", o.host_node_id, "--host-node-id");
      await db
        .insertInto("api_tokens")
        .values({
          token_hash: hashToken(token),
          kind: o.account_id ? "account" : "host_node",
          subject_id: (o.account_id ?? o.host_node_id)!,
          description: o.description ?? null,
          created_at: now(),
        })
        .execute();
    });
    process.stdout.write(`${token}\n`);
  },
});

/** Tokens are shown and deleted by the start of their hash; the token itself is never stored. */
const tokenId = (hash: string) => hash.slice(0, 12);

const showTokens = command({
  name: "show",
  summary: "List API tokens (by the start of their hash)",
  args: [],
  options: { json: jsonOption },
  async run({ store }: Ctx, _args, o) {
    const rows = await store.db.selectFrom("api_tokens").selectAll().orderBy("created_at").execute();
    const records = rows.map((r) => ({
      id: tokenId(r.token_hash),
      kind: r.kind,
      subject_id: r.subject_id,
      description: r.description,
      created_at: r.created_at,
    }));
    if (o.json) return printJson(records);
    printTable(
      ["ID", "Kind", "For", "Description", "Create"],
      records.map((r) => [r.id, r.kind, r.subject_id, r.description, r.created_at]),
    );
  },
});

const delToken = command({
  name: "del",
  summary: "Revoke an API token",
  args: [
    arg(
      "ID",
      textField({
        max: 64,
        pattern: /^[0-9a-f]{12}$/,
        patternWords: "the 12-character ID 'token show' lists",
      }),
    ),
  ],
  options: {},
  async run({ store }: Ctx, [id]) {
    const rows = await store.db.selectFrom("api_tokens").select("token_hash").execute();
    const hash = rows.find((r) => tokenId(r.token_hash) === id)?.token_hash;
    if (!hash) throw new UserError(`unknown token ${id}: see 'vdc-manage token show'`);
    await store.db.deleteFrom("api_tokens").where("token_hash", "=", hash).execute();
  },
});

export const tokenCommands: CommandGroup<Ctx> = {
  name: "token",
  summary: "Make, list and revoke API tokens",
  commands: [addToken, delToken, showTokens],
};
