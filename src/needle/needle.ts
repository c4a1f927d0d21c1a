// A needle as openQA's os-autoinst writes it: NAME.json beside NAME.png. The
// JSON holds tags, properties and areas; an area is a rectangle of the PNG
// that must be found on the screen (match), is ignored (exclude), or is read
// as text (ocr, kept but not matched here). Pure: the JSON in, a checked
// needle out, every mistake said in words that point at the fix.
import type { Rect } from "../image/image.js";

export type AreaType = "match" | "exclude" | "ocr";

export interface NeedleArea extends Rect {
  type: AreaType;
  /** The similarity, in percent, the area needs (os-autoinst's default 96). */
  match: number;
  /** How far from its place, in pixels, the area is looked for (default 50). */
  margin: number;
  /** Where a click on this needle goes, relative to the area's top-left corner. */
  clickPoint?: { x: number; y: number };
}

export interface Needle {
  name: string;
  tags: string[];
  properties: unknown[];
  areas: NeedleArea[];
}

export const defaultMatch = 96;
export const defaultMargin = 50;

export class NeedleError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A JSON number, or a string that is one ("100", " 96.5 "): os-autoinst is
 * Perl and reads both alike, so needles from openQA repositories hold both.
 * Anything else is kept as it is, for the check to refuse.
 */
function numeric(v: unknown): unknown {
  return typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(v) ? Number(v) : v;
}

export function parseNeedle(json: unknown, name: string): Needle {
  const where = `needle ${name}`;
  if (!isObject(json)) throw new NeedleError(`${where}: the JSON must be an object with "tags" and "area"`);
  const tags = json.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string"))
    throw new NeedleError(`${where}: "tags" must be a list of strings`);
  const properties = json.properties ?? [];
  if (!Array.isArray(properties)) throw new NeedleError(`${where}: "properties" must be a list`);
  if (!Array.isArray(json.area) || json.area.length === 0)
    throw new NeedleError(`${where}: "area" must list at least one area (xpos, ypos, width, height)`);
  let clickPoints = 0;
  const areas = json.area.map((a, i): NeedleArea => {
    const at = `${where}, area ${i + 1}`;
    if (!isObject(a)) throw new NeedleError(`${at}: each area must be an object`);
    const int = (key: string, fallback?: number): number => {
      const v = numeric(a[key]) ?? fallback;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
        throw new NeedleError(
          `${at}: "${key}" must be a whole number of pixels, 0 or more (it is ${JSON.stringify(a[key])})`,
        );
      return v;
    };
    const type = a.type ?? "match";
    if (type !== "match" && type !== "exclude" && type !== "ocr")
      throw new NeedleError(`${at}: "type" must be match, exclude or ocr (it is ${JSON.stringify(type)})`);
    // os-autoinst reads a missing or zero match and margin as the defaults.
    const match = numeric(a.match) || defaultMatch;
    if (typeof match !== "number" || match <= 0 || match > 100)
      throw new NeedleError(
        `${at}: "match" is a percentage, above 0 and at most 100 (it is ${JSON.stringify(a.match)})`,
      );
    const area: NeedleArea = {
      x: int("xpos"),
      y: int("ypos"),
      width: int("width"),
      height: int("height"),
      type,
      match,
      margin: int("margin", 0) || defaultMargin,
    };
    if (area.width === 0 || area.height === 0)
      throw new NeedleError(`${at}: "width" and "height" must be above 0`);
    const click = a.click_point;
    if (click !== undefined) {
      clickPoints++;
      if (click === "center")
        area.clickPoint = { x: Math.floor(area.width / 2), y: Math.floor(area.height / 2) };
      else if (
        isObject(click) &&
        typeof numeric(click.xpos) === "number" &&
        typeof numeric(click.ypos) === "number"
      )
        area.clickPoint = { x: numeric(click.xpos) as number, y: numeric(click.ypos) as number };
      else throw new NeedleError(`${at}: "click_point" must be "center" or {"xpos": X, "ypos": Y}`);
    }
    return area;
  });
  if (!areas.some((a) => a.type !== "exclude"))
    throw new NeedleError(`${where}: it has no match area, only exclude areas`);
  if (clickPoints > 1) throw new NeedleError(`${where}: more than one area has a click_point; keep one`);
  return { name, tags: tags as string[], properties, areas };
}

/** The needle as openQA's JSON, for writing (area keys in os-autoinst's names). */
export function needleJson(needle: Needle): Record<string, unknown> {
  return {
    area: needle.areas.map((a) => ({
      xpos: a.x,
      ypos: a.y,
      width: a.width,
      height: a.height,
      type: a.type,
      ...(a.match !== defaultMatch ? { match: a.match } : {}),
      ...(a.margin !== defaultMargin ? { margin: a.margin } : {}),
      ...(a.clickPoint ? { click_point: { xpos: a.clickPoint.x, ypos: a.clickPoint.y } } : {}),
    })),
    properties: needle.properties,
    tags: needle.tags,
  };
}
