// A qcow2 (version 3) image laid out from a raw image's data clusters, as
// step 28 writes it: the metadata (header, refcount table, L1 table,
// refcount blocks, L2 tables) in its first clusters, then each 64 KiB data
// cluster in the order of the raw image. So the qcow2's data is byte for
// byte the data of the seed tar, and its compressed pieces can be reused.
// Pure: returns the metadata's bytes; the caller appends the clusters.
import type { Extent } from "./sparse-tar.js";

export const clusterSize = 65536;
const entriesPerTable = clusterSize / 8;
/** 16-bit refcounts (refcount_order 4): one refcount block covers this many clusters. */
const refcountsPerBlock = clusterSize / 2;
/** QCOW_OFLAG_COPIED: the cluster's refcount is exactly 1 (may be written in place). */
const copied = 1n << 63n;

export interface Qcow2Layout {
  /** Header, tables and refcount blocks: the file's first bytes, a whole number of clusters. */
  metadata: Buffer;
}

const clustersFor = (bytes: number, perCluster: number) => Math.ceil(bytes / perCluster);

/**
 * The layout of a qcow2 of `size` bytes holding the clusters that `extents`
 * (64 KiB aligned) cover. Throws on extents that are not cluster aligned.
 */
export function qcow2Layout(size: number, extents: readonly Extent[]): Qcow2Layout {
  if (size % clusterSize !== 0) throw new Error(`the image's size ${size} is not a multiple of 64 KiB`);
  const guestClusters: number[] = [];
  for (const e of extents) {
    if (e.offset % clusterSize !== 0 || e.length % clusterSize !== 0)
      throw new Error(`extent ${e.offset}+${e.length} is not 64 KiB aligned`);
    for (let c = e.offset / clusterSize; c < (e.offset + e.length) / clusterSize; c++) guestClusters.push(c);
  }
  const l1Size = clustersFor(size, clusterSize * entriesPerTable);
  const l1Clusters = clustersFor(l1Size * 8, clusterSize);
  const l2Tables = [...new Set(guestClusters.map((c) => Math.floor(c / entriesPerTable)))];
  // The refcount blocks count every cluster, themselves and their table included.
  let refBlocks = 1;
  let refTableClusters = 1;
  for (;;) {
    const total = 1 + refTableClusters + l1Clusters + refBlocks + l2Tables.length + guestClusters.length;
    const blocks = clustersFor(total, refcountsPerBlock);
    const table = clustersFor(blocks * 8, clusterSize);
    if (blocks === refBlocks && table === refTableClusters) break;
    refBlocks = blocks;
    refTableClusters = table;
  }
  const refTableAt = 1;
  const l1At = refTableAt + refTableClusters;
  const refBlocksAt = l1At + l1Clusters;
  const l2At = refBlocksAt + refBlocks;
  const dataAt = l2At + l2Tables.length;
  const total = dataAt + guestClusters.length;

  const meta = Buffer.alloc(dataAt * clusterSize);
  const u64 = (at: number, v: bigint) => meta.writeBigUInt64BE(v, at);
  const offsetOf = (cluster: number) => BigInt(cluster) * BigInt(clusterSize);
  meta.writeUInt32BE(0x514649fb, 0); // "QFI\xfb"
  meta.writeUInt32BE(3, 4);
  meta.writeUInt32BE(16, 20); // cluster_bits
  u64(24, BigInt(size));
  meta.writeUInt32BE(l1Size, 36);
  u64(40, offsetOf(l1At));
  u64(48, offsetOf(refTableAt));
  meta.writeUInt32BE(refTableClusters, 56);
  meta.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
  meta.writeUInt32BE(104, 100); // header_length; the zeros after it end the header extensions
  for (let b = 0; b < refBlocks; b++) u64(refTableAt * clusterSize + b * 8, offsetOf(refBlocksAt + b));
  for (let c = 0; c < total; c++) meta.writeUInt16BE(1, refBlocksAt * clusterSize + c * 2);
  l2Tables.forEach((table, i) => {
    u64(l1At * clusterSize + table * 8, offsetOf(l2At + i) | copied);
  });
  guestClusters.forEach((c, k) => {
    const table = l2Tables.indexOf(Math.floor(c / entriesPerTable));
    u64((l2At + table) * clusterSize + (c % entriesPerTable) * 8, offsetOf(dataAt + k) | copied);
  });
  return { metadata: meta };
}

/** `extents` widened to whole 64 KiB clusters and merged: what a qcow2 allocates for them. */
export function clusterAligned(extents: readonly Extent[]): Extent[] {
  const out: Extent[] = [];
  for (const e of extents) {
    const start = Math.floor(e.offset / clusterSize) * clusterSize;
    const end = Math.ceil((e.offset + e.length) / clusterSize) * clusterSize;
    const last = out.at(-1);
    if (last && last.offset + last.length >= start) last.length = Math.max(last.length, end - last.offset);
    else out.push({ offset: start, length: end - start });
  }
  return out;
}
