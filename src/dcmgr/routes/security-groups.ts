// /security_groups: named rule sets (`tcp:3389,3389,ip4:0.0.0.0`, one a line);
// a bad rule is refused with its line number and nothing is saved.
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { enumField, textField } from "../../model/fields.js";
import { parseRules, RuleError, type SecurityGroupRule } from "../../model/security-group-rules.js";
import { givenFields } from "../../model/shape.js";
import { serviceTypes } from "../../model/vocabulary.js";
import { freshUuid } from "../../store/fresh-uuid.js";
import { securityGroupInUse } from "../../store/in-use.js";
import { securityGroupRecord } from "../../store/records.js";
import type { Database } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { pageOf, pageShape } from "../collections.js";
import { errors } from "../errors.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import { displayFields, idParams, now, owned } from "./common.js";

const groupFields = {
  ...displayFields,
  rule: { field: textField({ max: 16384, lines: true }), desc: "rules, one a line: PROTO:FROM,TO,SOURCE" },
  service_type: { field: enumField(serviceTypes), desc: "service type" },
};

/** The rules of `text`, with every source group checked to be the caller's. */
async function checkedRules(db: Kysely<Database>, accountId: string, text: string, selfId: string) {
  let rules: SecurityGroupRule[];
  try {
    rules = parseRules(text);
  } catch (err) {
    if (err instanceof RuleError) throw errors.invalidSecurityGroupRule(err.message);
    throw err;
  }
  for (const r of rules) {
    if (!r.source_group_id || r.source_group_id === selfId) continue;
    const source = await db
      .selectFrom("security_groups")
      .select("id")
      .where("id", "=", r.source_group_id)
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    if (!source) {
      throw errors.invalidSecurityGroupRule(
        `rule line ${r.line}: unknown security group ${r.source_group_id}`,
      );
    }
  }
  return rules;
}

async function saveRules(db: Kysely<Database>, groupId: string, rules: readonly SecurityGroupRule[]) {
  await db.deleteFrom("security_group_rules").where("security_group_id", "=", groupId).execute();
  if (rules.length) {
    await db
      .insertInto("security_group_rules")
      .values(rules.map((r) => ({ security_group_id: groupId, ...r })))
      .execute();
  }
}

export function securityGroupRoutes(app: FastifyInstance, store: Store): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  const params = idParams("securityGroup");
  const load = (id: string, accountId: string) =>
    owned(store.db, "security_groups", id, accountId, errors.unknownSecurityGroup);

  api.get(
    "/security_groups",
    { schema: { querystring: { ...pageShape, service_type: groupFields.service_type } } },
    async (req) => {
      let q = store.db.selectFrom("security_groups").selectAll().where("account_id", "=", req.accountId);
      if (req.query.service_type) q = q.where("service_type", "=", req.query.service_type);
      return pageOf(q.orderBy("created_at").orderBy("id"), req.query.start!, req.query.limit!, (rows) =>
        rows.map(securityGroupRecord),
      );
    },
  );

  api.get("/security_groups/:id", { schema: { params } }, async (req) =>
    securityGroupRecord(await load(req.params.id!, req.accountId)),
  );

  api.post("/security_groups", { schema: { body: groupFields } }, async (req) => {
    const text = req.body.rule ?? "";
    const id = await store.db.transaction().execute(async (db) => {
      const id = await freshUuid(db, "security_groups", "securityGroup");
      const rules = await checkedRules(db, req.accountId, text, id);
      const stamp = now();
      await db
        .insertInto("security_groups")
        .values({
          id,
          account_id: req.accountId,
          display_name: req.body.display_name ?? null,
          description: req.body.description ?? null,
          service_type: req.body.service_type ?? "std",
          rule: text,
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
      await saveRules(db, id, rules);
      return id;
    });
    return securityGroupRecord(await load(id, req.accountId));
  });

  api.put("/security_groups/:id", { schema: { params, body: groupFields } }, async (req) => {
    const id = req.params.id!;
    await store.db.transaction().execute(async (db) => {
      await owned(db, "security_groups", id, req.accountId, errors.unknownSecurityGroup);
      if (req.body.rule !== undefined)
        await saveRules(db, id, await checkedRules(db, req.accountId, req.body.rule, id));
      await db
        .updateTable("security_groups")
        .set({ ...givenFields(req.body), updated_at: now() })
        .where("id", "=", id)
        .execute();
    });
    return securityGroupRecord(await load(id, req.accountId));
  });

  api.delete("/security_groups/:id", { schema: { params } }, async (req) => {
    const id = req.params.id!;
    await store.db.transaction().execute(async (db) => {
      await owned(db, "security_groups", id, req.accountId, errors.unknownSecurityGroup);
      const why = await securityGroupInUse(db, id);
      if (why) throw errors.existsRegisteredInstance(`${id} is still in use: ${why}`);
      await db.deleteFrom("instance_security_groups").where("security_group_id", "=", id).execute();
      await db.deleteFrom("security_groups").where("id", "=", id).execute();
    });
    return [id];
  });
}
