// The live feed of instance events for the web GUI: one loop per dcmgr
// process reads the store's new events every `pollMs` and hands each
// subscriber those of its account. Reading the store, not an in-process
// signal, is what makes a change by another dcmgr, a host agent's report or
// `vdc-manage` reach a page just the same. A subscriber that resumes (a page
// back from sleep, a dcmgr restarted) first gets what it missed.
import type { Kysely, Selectable } from "kysely";
import { advance, type Cursor } from "../model/event-order.js";
import type { Database, InstanceEventsTable } from "../store/schema.js";

export type InstanceEvent = Selectable<InstanceEventsTable>;
type Deliver = (events: InstanceEvent[]) => Promise<void>;

interface Subscriber {
  accountId: string;
  /** The last event id it has. */
  since: number;
  /** Whether what it missed before subscribing has been handed to it. */
  caughtUp: boolean;
  deliver: Deliver;
}

export interface FeedOptions {
  pollMs: number;
  /** How long a gap in the ids is waited for (event-order.ts). */
  gapGraceMs: number;
  /** The most events one read takes; the rest come on the next pass. */
  batch: number;
  /** The most missed events one subscriber's catch-up takes in a pass: a long one comes in pages, pass by pass. */
  catchUpPage: number;
}

const defaults: FeedOptions = { pollMs: 100, gapGraceMs: 2000, batch: 1000, catchUpPage: 200 };

export class EventFeed {
  private readonly subscribers = new Set<Subscriber>();
  private cursor: Cursor | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly o: FeedOptions;

  constructor(
    private readonly db: Kysely<Database>,
    options: Partial<FeedOptions> = {},
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.o = { ...defaults, ...options };
  }

  /** The newest event id in the store: where a fresh subscriber starts. */
  async newest(): Promise<number> {
    const row = await this.db
      .selectFrom("instance_events")
      .select((eb) => eb.fn.max("id").as("id"))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** Hands `deliver` every event of the account after `since`, in order, until the returned function is called. */
  subscribe(accountId: string, since: number, deliver: Deliver): () => void {
    const sub: Subscriber = { accountId, since, caughtUp: false, deliver };
    this.subscribers.add(sub);
    this.running ??= this.loop().finally(() => {
      this.running = null;
    });
    return () => this.subscribers.delete(sub);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscribers.clear();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (this.subscribers.size > 0 && !this.stopped) {
      try {
        await this.pass();
      } catch (err) {
        this.onError(err as Error);
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
  }

  private async pass(): Promise<void> {
    this.cursor ??= { last: await this.newest(), gapSince: null };
    // Catch-ups first, a page a pass, up to the cursor; the new events below then
    // follow on for those caught up (the others meet them in their later pages).
    for (const sub of this.subscribers) {
      if (sub.caughtUp) continue;
      const missed =
        sub.since < this.cursor.last
          ? await this.db
              .selectFrom("instance_events")
              .selectAll()
              .where("account_id", "=", sub.accountId)
              .where("id", ">", sub.since)
              .where("id", "<=", this.cursor.last)
              .orderBy("id")
              .limit(this.o.catchUpPage)
              .execute()
          : [];
      const whole = missed.length < this.o.catchUpPage;
      sub.caughtUp = whole;
      sub.since = whole ? this.cursor.last : missed.at(-1)!.id;
      if (missed.length) await sub.deliver(missed).catch(this.onError);
    }
    const fresh = await this.db
      .selectFrom("instance_events")
      .selectAll()
      .where("id", ">", this.cursor.last)
      .orderBy("id")
      .limit(this.o.batch)
      .execute();
    if (fresh.length === 0) return;
    this.cursor = advance(
      this.cursor,
      fresh.map((e) => e.id),
      Date.now(),
      this.o.gapGraceMs,
    );
    const out = fresh.filter((e) => e.id <= this.cursor!.last);
    await Promise.all(
      [...this.subscribers].map((sub) => {
        if (!sub.caughtUp) return undefined;
        const mine = out.filter((e) => e.account_id === sub.accountId && e.id > sub.since);
        sub.since = this.cursor!.last;
        return mine.length ? sub.deliver(mine).catch(this.onError) : undefined;
      }),
    );
  }
}
