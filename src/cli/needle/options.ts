// The needle command's kinds of value: a rectangle X,Y,W,H and a point X,Y,
// in screenshot pixels.
import type { Rect } from "../../image/image.js";
import { type Field, FieldError } from "../../model/fields.js";

function numbers(raw: unknown, count: number, words: string): number[] {
  if (typeof raw !== "string") throw new FieldError(`needs a value (${words})`);
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.length !== count || parts.some((p) => !/^\d+$/.test(p)))
    throw new FieldError(`'${raw}' is not ${words}`);
  return parts.map(Number);
}

export const rectField: Field<Rect> = {
  type: "x,y,w,h",
  allowed: "X,Y,WIDTH,HEIGHT in pixels, such as 300,200,160,60",
  parse(raw) {
    const [x, y, width, height] = numbers(raw, 4, "X,Y,WIDTH,HEIGHT in whole pixels, such as 300,200,160,60");
    if (!width || !height) throw new FieldError(`'${String(raw)}': the width and height must be above 0`);
    return { x: x!, y: y!, width, height };
  },
};

export const pointField: Field<{ x: number; y: number }> = {
  type: "x,y",
  allowed: "X,Y in pixels, such as 380,230",
  parse(raw) {
    const [x, y] = numbers(raw, 2, "X,Y in whole pixels, such as 380,230");
    return { x: x!, y: y! };
  },
};

export const percentField: Field<number> = {
  type: "percent",
  allowed: "a percentage above 0, at most 100",
  parse(raw) {
    const n = Number(raw);
    if (typeof raw !== "string" || !/^\d+(\.\d+)?$/.test(raw) || n <= 0 || n > 100)
      throw new FieldError(`'${String(raw)}' is not a percentage above 0 and at most 100`);
    return n;
  },
};
