// What several route files share: the uuid path parameter, looking a row up
// within the caller's account (another account's uuid is a 404, exactly as an
// unknown one), and the display fields.
import type { Kysely, Selectable } from "kysely";
import { textField, uuidField } from "../../model/fields.js";
import type { ResourceKind } from "../../model/uuid.js";
import type { Database } from "../../store/schema.js";
import { type ApiError, errors } from "../errors.js";

export const idParams = (kind: ResourceKind) => ({
  id: { field: uuidField(kind), desc: "uuid", required: true },
});

export const displayFields = {
  display_name: { field: textField(), desc: "display name" },
  description: { field: textField({ max: 4096 }), desc: "description" },
};

type AccountTable = "instances" | "ssh_key_pairs" | "security_groups" | "backup_objects" | "networks";

export async function owned<T extends AccountTable>(
  db: Kysely<Database>,
  table: T,
  id: string,
  accountId: string,
  notFound: (message: string) => ApiError,
): Promise<Selectable<Database[T]>> {
  const row = await db
    .selectFrom(table as AccountTable)
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) throw notFound(`${id} does not exist`);
  return row as unknown as Selectable<Database[T]>;
}

/** The caller's instance, or the UnknownInstance 404. */
export const ownedInstance = (db: Kysely<Database>, id: string, accountId: string) =>
  owned(db, "instances", id, accountId, errors.unknownInstance);

export const now = () => new Date().toISOString();
