// How backups read on the pages: an instance's newest backup (from its live
// record), an image's state with its progress or error, whether an image
// was generalized, and when the Images page must read its list again. Pure.
import { isWindows } from "../../../src/model/launch-rules.js";
import type { Image, InstanceBackup } from "../api/types.js";

export interface BackupNote {
  text: string;
  /** under way: pending or creating; then available or failed. */
  kind: "under-way" | "available" | "failed";
  /** 0-100 while under way. */
  percent: number | null;
}

/**
 * What an instance's newest backup says. `halting`: the instance is on its
 * way down, which a backup pending on it means its guest generalizes first
 * (power actions wait for a backup under way).
 */
export function backupNote(b: InstanceBackup | null, halting: boolean): BackupNote | null {
  if (!b) return null;
  const image = b.image_id;
  switch (b.state) {
    case "pending":
      return {
        text: `Creating image ${image} … 0% (${halting ? "the guest generalizes and shuts down first" : "its host has not begun"})`,
        kind: "under-way",
        percent: 0,
      };
    case "creating": {
      const percent = b.progress ?? 0;
      return { text: `Creating image ${image} … ${percent}%`, kind: "under-way", percent };
    }
    case "available":
      return { text: `Image ${image} made from it is available`, kind: "available", percent: null };
    case "failed":
      return {
        text: `Creating image ${image} failed: ${b.error ?? "the host agent gave no reason"}`,
        kind: "failed",
        percent: null,
      };
  }
}

/** An image's state as the Images page says it: with its progress while creating. */
export function imageStateWords(i: Pick<Image, "state" | "progress">): string {
  return i.state === "creating" ? `creating ${i.progress ?? 0}%` : i.state;
}

/** Whether instances of the image get a new password at first boot (generalized), or boot as its source was. */
export function generalizedWords(i: Pick<Image, "generalized" | "os_type">): string {
  const windows = isWindows(i.os_type);
  if (i.generalized) return windows ? "yes: a new password at first boot" : "yes";
  return windows ? "no: as it was (keeps its password)" : "no: as it was";
}

/** The Images page reads its list again every so often only while an image is being written: nothing else moves it. */
export const imagesPollMs = 2000;

export const anyImageCreating = (rows: readonly Pick<Image, "state">[] | null) =>
  (rows ?? []).some((i) => i.state === "creating");
