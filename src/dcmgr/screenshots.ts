// Console screenshots travel from the host agent to the user through dcmgr,
// because agents only ever call dcmgr (never the other way round): a user's
// request is a row of screenshot_requests; the instance's agent sees it in
// its host's state (GET /state, woken at once), takes the picture with QMP
// `screendump` and delivers it to whichever dcmgr it reads; the dcmgr the
// user waits on finds it in the row. In the store, so that any dcmgr serves
// any of the three.
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

/** Requests older than this have nobody waiting any more (a dcmgr stopped mid-wait): removed. */
const forgottenAfterMs = 120_000;

export class ScreenshotDesk {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly pollMs = 100,
  ) {}

  /** The next screenshot the agent delivers for the instance, or null after `timeoutMs`. */
  async request(instanceId: string, timeoutMs: number): Promise<Buffer | null> {
    const id = randomBytes(12).toString("hex");
    const now = Date.now();
    await this.db
      .deleteFrom("screenshot_requests")
      .where("requested_at", "<", new Date(now - forgottenAfterMs).toISOString())
      .execute();
    await this.db
      .insertInto("screenshot_requests")
      .values({ id, instance_id: instanceId, requested_at: new Date(now).toISOString(), png: null })
      .execute();
    try {
      for (const end = now + timeoutMs; Date.now() < end; ) {
        const row = await this.db
          .selectFrom("screenshot_requests")
          .select("png")
          .where("id", "=", id)
          .executeTakeFirst();
        if (row?.png) return Buffer.from(row.png, "base64");
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
      return null;
    } finally {
      await this.db.deleteFrom("screenshot_requests").where("id", "=", id).execute();
    }
  }

  /** Hands the picture to everyone waiting for one of this instance; false when nobody was. */
  async deliver(instanceId: string, png: Buffer): Promise<boolean> {
    const r = await this.db
      .updateTable("screenshot_requests")
      .set({ png: png.toString("base64") })
      .where("instance_id", "=", instanceId)
      .where("png", "is", null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
