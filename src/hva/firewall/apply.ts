// Putting a rendered ruleset (ruleset.ts) in force: one `nft -f` of the
// whole text, which replaces our two tables in a single transaction, so the
// host is never between two rulesets and a refused text changes nothing;
// then the connections a narrower ruleset may no longer allow are forgotten.
// `netns` runs it in a network namespace: a host of the one-machine cloud.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { filterTable, guardTable } from "./host-firewall.js";

const run = promisify(execFile);

export interface NftPlace {
  /** The network namespace of the host, or undefined for this one. */
  netns?: string;
}

const command = (place: NftPlace, tool: string, args: string[]): [string, string[]] =>
  place.netns ? ["ip", ["netns", "exec", place.netns, tool, ...args]] : [tool, args];

async function nft(place: NftPlace, args: string[]): Promise<string> {
  const [cmd, argv] = command(place, "nft", args);
  try {
    return (await run(cmd, argv, { encoding: "utf8" })).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error(`${cmd} is not installed: apt-get install nftables`);
    throw new Error(`nft refused the host firewall: ${(e.stderr || e.message).trim()}`);
  }
}

/**
 * Forgets the tracked connections to these addresses (narrowedAddresses in
 * ruleset.ts): the next packet of each is judged by the rules in force, so a
 * connection a removed rule allowed ends and one still allowed goes on
 * (conntrack takes a TCP connection up mid-stream, nf_conntrack_tcp_loose).
 */
export async function forgetConnections(addresses: readonly string[], place: NftPlace = {}): Promise<void> {
  for (const address of addresses) {
    const [cmd, argv] = command(place, "conntrack", ["-D", "-d", address]);
    try {
      await run(cmd, argv, { encoding: "utf8" });
    } catch (err) {
      const e = err as { code?: string | number; stderr?: string; message: string };
      if (e.code === "ENOENT") throw new Error(`${cmd} is not installed: apt-get install conntrack`);
      // Exit status 1 with "0 flow entries": there was nothing to forget.
      if (!/0 flow entries/.test(e.stderr ?? ""))
        throw new Error(`conntrack -D -d ${address}: ${(e.stderr || e.message).trim()}`);
    }
  }
}

export async function applyRuleset(text: string, place: NftPlace = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "wakame-nft-"));
  try {
    const file = join(dir, "ruleset.nft");
    await writeFile(file, text);
    await nft(place, ["-f", file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Our tables as the kernel holds them now (for checks and `hva` diagnostics). */
export function listRuleset(place: NftPlace = {}): Promise<string> {
  return Promise.all([
    nft(place, ["list", "table", "bridge", guardTable]),
    nft(place, ["list", "table", "inet", filterTable]),
  ]).then((parts) => parts.join(""));
}
