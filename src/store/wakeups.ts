// Wake-ups for the host agents' long-poll: a signal that something a host's
// state is made of (its instances, their addresses and groups, the groups'
// rules, the networks) may have changed, so each waiting request reads its
// host's state again. On PostgreSQL the database sends it: triggers on those
// tables NOTIFY at commit (0007-host-wakeups), whoever wrote (another dcmgr,
// vdc-manage), and each dcmgr LISTENs on one connection of its own. On SQLite
// the store's own writes wake its waiters in-process. A wake-up that is lost
// (a LISTEN connection being replaced, a write by another SQLite process)
// costs a waiter at most the rest of its wait: it reads again when the wait ends.
import {
  DeleteQueryNode,
  InsertQueryNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  TableNode,
  type UnknownRow,
  UpdateQueryNode,
} from "kysely";

/**
 * The tables a host's state is read from (dcmgr/host-state/): a write to one
 * wakes the waiters. PostgreSQL's triggers (0007, 0008, 0009, 0014) watch the same;
 * test/dcmgr/host-state.test.ts fails when a table is read and not watched.
 */
export const hostStateTables = [
  "instances",
  "images",
  "backup_objects",
  "backup_storages",
  "instance_vifs",
  "network_leases",
  "instance_security_groups",
  "security_groups",
  "security_group_rules",
  "networks",
  "screenshot_requests",
  "console_tunnels",
  "instance_moves",
] as const;

export const wakeupChannel = "wakame_host_state";

export interface Wakeups {
  /** Resolves at the next wake-up (or when the store closes); `cancel` lets go of it. */
  next(): { woken: Promise<void>; cancel(): void };
  /** Wakes this process's waiters (a change kept outside the tables, such as a console request). */
  poke(): void;
  close(): Promise<void>;
}

export class WakeupHub implements Wakeups {
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private listening: { stop(): Promise<void> } | null = null;

  /** `listen`, if given, starts the wake-ups from elsewhere (PostgreSQL's), at the first wait. */
  constructor(private readonly listen?: (hub: WakeupHub) => { stop(): Promise<void> }) {}

  next() {
    if (this.listen && !this.listening && !this.closed) this.listening = this.listen(this);
    let resolve!: () => void;
    const woken = new Promise<void>((r) => {
      resolve = r;
    });
    if (this.closed) resolve();
    else this.waiters.add(resolve);
    return { woken, cancel: () => this.waiters.delete(resolve) };
  }

  poke(): void {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poke();
    await this.listening?.stop();
  }
}

/**
 * LISTENs on a connection of its own, replaced when it is lost (a server
 * restart): every NOTIFY on the channel pokes the hub, and so does each
 * (re)connection, since a notification may have been missed meanwhile.
 */
export function listenOnPostgres(url: string, log: (line: string) => void) {
  return (hub: WakeupHub) => {
    let stopped = false;
    let client: import("pg").Client | null = null;
    const connect = async () => {
      const { default: pg } = await import("pg");
      while (!stopped) {
        const c = new pg.Client({ connectionString: url });
        // Set before connecting: a stop that comes while this one connects ends it too.
        client = c;
        const lost = new Promise<void>((resolve) => {
          c.on("error", () => resolve());
          c.on("end", () => resolve());
        });
        try {
          await c.connect();
          c.on("notification", () => hub.poke());
          await c.query(`LISTEN ${wakeupChannel}`);
          if (!stopped) {
            hub.poke();
            await lost;
          }
        } catch (err) {
          if (!stopped) log(`store: cannot LISTEN for host wake-ups: ${(err as Error).message}`);
        }
        client = null;
        // Not awaited: pg never settles end() of a connection ended while it was connecting.
        c.end().catch(() => {});
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    const running = connect();
    return {
      async stop() {
        stopped = true;
        client?.end().catch(() => {});
        // The loop ends once its connection does; a connection that never answers holds no one up.
        await Promise.race([running, new Promise((r) => setTimeout(r, 2000).unref())]);
      },
    };
  };
}

const tableName = (node: OperationNode | undefined) =>
  node && TableNode.is(node) ? node.table.identifier.name : "";

/** Written to one of `hostStateTables`: an insert, update or delete naming it. */
function writesHostState(node: RootOperationNode): boolean {
  const tables = InsertQueryNode.is(node)
    ? [tableName(node.into)]
    : UpdateQueryNode.is(node)
      ? [tableName(node.table)]
      : DeleteQueryNode.is(node)
        ? node.from.froms.map(tableName)
        : [];
  return tables.some((t) => (hostStateTables as readonly string[]).includes(t));
}

/**
 * SQLite's in-process wake-up: after a write to a host-state table, the
 * waiters are poked. One connection serves the process, so their reads
 * queue behind the writer's transaction and see it committed.
 */
export function wakeOnWrites(hub: WakeupHub): KyselyPlugin {
  const writes = new WeakSet<object>();
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      if (writesHostState(args.node)) writes.add(args.queryId);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (writes.has(args.queryId)) hub.poke();
      return args.result;
    },
  };
}
