// Needles on disk: NAME.json beside NAME.png (os-autoinst's layout), one
// file or a directory of them searched recursively, and a needle written
// whole (temporary files renamed into place). The only I/O of src/needle/.
import { existsSync } from "node:fs";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { holds, type Image } from "../image/image.js";
import { decodePng, encodePng, PngError } from "../image/png.js";
import type { LoadedNeedle } from "./match.js";
import { type Needle, NeedleError, needleJson, parseNeedle } from "./needle.js";

export async function readPng(path: string): Promise<Image> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new NeedleError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  try {
    return decodePng(bytes, path);
  } catch (err) {
    throw err instanceof PngError ? new NeedleError(err.message) : err;
  }
}

/** Writes a file whole: a temporary file beside it, then renamed. */
export async function writeWhole(path: string, content: Buffer | string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temp, content);
  await rename(temp, path);
}

export async function writePng(path: string, image: Image): Promise<void> {
  await writeWhole(path, encodePng(image));
}

/** NAME.json and its NAME.png. */
export async function loadNeedle(jsonPath: string): Promise<LoadedNeedle> {
  if (!jsonPath.endsWith(".json")) throw new NeedleError(`${jsonPath}: a needle is named by its .json file`);
  let text: string;
  try {
    text = await readFile(jsonPath, "utf8");
  } catch {
    throw new NeedleError(`cannot read the needle ${jsonPath}: no such file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NeedleError(`${jsonPath} is not valid JSON: ${(err as Error).message}`);
  }
  const needle = parseNeedle(json, basename(jsonPath, ".json"));
  const pngPath = jsonPath.replace(/\.json$/, ".png");
  if (!existsSync(pngPath))
    throw new NeedleError(`the needle ${jsonPath} has no picture: ${pngPath} is missing`);
  const image = await readPng(pngPath);
  for (const [i, a] of needle.areas.entries()) {
    if (!holds(image, a))
      throw new NeedleError(
        `${jsonPath}, area ${i + 1} (${a.width}x${a.height} at ${a.x},${a.y}) is not inside its ${image.width}x${image.height} picture`,
      );
  }
  return { ...needle, image };
}

/** Every needle under `dir` (recursively), by name order. */
export async function loadNeedleDir(dir: string): Promise<LoadedNeedle[]> {
  const found: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith(".json")) found.push(join(d, e.name));
    }
  };
  await walk(dir);
  found.sort();
  return Promise.all(found.map(loadNeedle));
}

/** Writes NAME.png and NAME.json (the PNG first: a JSON never names a missing picture). */
export async function saveNeedle(base: string, needle: Needle, image: Image): Promise<void> {
  await writePng(`${base}.png`, image);
  await writeWhole(`${base}.json`, `${JSON.stringify(needleJson(needle), null, 2)}\n`);
}
