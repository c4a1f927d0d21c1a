// Encrypted initial passwords: stored as the host agent hands them over,
// forgotten on the owner's request or once `delete_password_after_minutes`
// have passed (0 keeps them).
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { recordInstanceEvents } from "./instance-events.js";

export interface PasswordPolicy {
  deleteAfterMinutes: number;
}

/** When a password stored now is to be forgotten, or null to keep it. */
export function deletionTime(policy: PasswordPolicy, now: Date): string | null {
  return policy.deleteAfterMinutes > 0
    ? new Date(now.getTime() + policy.deleteAfterMinutes * 60_000).toISOString()
    : null;
}

/** Forgets the passwords of these instances, recording the change for the live feed. */
export async function forgetPasswords(
  db: Kysely<Database>,
  ids: readonly string[],
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable("instances")
    .set({ encrypted_password: null, password_will_be_deleted_at: null, updated_at: now.toISOString() })
    .where("id", "in", ids)
    .execute();
  await recordInstanceEvents(db, ids);
}

/** Forgets every password whose time has come; returns how many. */
export async function forgetExpiredPasswords(db: Kysely<Database>, now: Date): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const due = await tx
      .selectFrom("instances")
      .select("id")
      .where("password_will_be_deleted_at", "is not", null)
      .where("password_will_be_deleted_at", "<=", now.toISOString())
      .execute();
    await forgetPasswords(
      tx,
      due.map((r) => r.id),
      now,
    );
    return due.length;
  });
}
