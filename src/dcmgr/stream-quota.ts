// No account holds dcmgr's connections for the others: each account has at
// most `perAccount` live streams open on this dcmgr at once (event feeds and
// console sockets together); one more is refused (429) until one closes.
// Counted per dcmgr process, as connections are.

export class StreamQuota {
  private readonly open = new Map<string, number>();

  constructor(readonly perAccount: number) {}

  /** A place for one more stream of the account, given back by the returned function; null when it has none left. */
  take(accountId: string): (() => void) | null {
    const n = this.open.get(accountId) ?? 0;
    if (n >= this.perAccount) return null;
    this.open.set(accountId, n + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.open.get(accountId) ?? 1) - 1;
      if (left > 0) this.open.set(accountId, left);
      else this.open.delete(accountId);
    };
  }

  /** What a refused stream is told. */
  refusal(): string {
    return `this account has ${this.perAccount} live streams (event feeds and consoles) open on this server already: close one (a browser tab) and try again`;
  }
}
