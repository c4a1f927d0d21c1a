// Putting a rendered ruleset (ruleset.ts) in force: one `nft -f` of the
// whole text, which replaces our two tables in a single transaction, so the
// host is never between two rulesets and a refused text changes nothing.
// `netns` runs it in a network namespace: a host of the one-machine cloud.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { filterTable, guardTable } from "./ruleset.js";

const run = promisify(execFile);

export interface NftPlace {
  /** The network namespace of the host, or undefined for this one. */
  netns?: string;
}

const command = (place: NftPlace, args: string[]): [string, string[]] =>
  place.netns ? ["ip", ["netns", "exec", place.netns, "nft", ...args]] : ["nft", args];

async function nft(place: NftPlace, args: string[]): Promise<string> {
  const [cmd, argv] = command(place, args);
  try {
    return (await run(cmd, argv, { encoding: "utf8" })).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error(`${cmd} is not installed: apt-get install nftables`);
    throw new Error(`nft refused the host firewall: ${(e.stderr || e.message).trim()}`);
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
