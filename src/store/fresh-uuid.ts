// New uuids for new rows. 8 random base-36 characters rarely collide, but a
// store with enough rows will meet one; a collision must cost a retry, not a
// failed request.
import type { Kysely } from "kysely";
import { generateUuid, type ResourceKind } from "../model/uuid.js";
import type { Database, UuidTable } from "./schema.js";

export async function freshUuid(db: Kysely<Database>, table: UuidTable, kind: ResourceKind): Promise<string> {
  for (;;) {
    const id = generateUuid(kind);
    if (!(await db.selectFrom(table).select("id").where("id", "=", id).executeTakeFirst())) return id;
  }
}
