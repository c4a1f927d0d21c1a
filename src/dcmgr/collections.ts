// Lists in the original's envelope: `[{"total", "start", "limit", "results"}]`,
// paged by `start` and `limit`.
import { intField } from "../model/fields.js";

export const pageShape = {
  start: { field: intField({ min: 0 }), desc: "index of the first result", default: 0 },
  limit: { field: intField({ max: 1000 }), desc: "how many results at most", default: 250 },
};

export function page<T>(all: readonly T[], start: number, limit: number) {
  return [{ total: all.length, start, limit, results: all.slice(start, start + limit) }];
}
