// Which of node_modules a part's bundled commands load at run time: the bare
// imports left in the bundles (scripts/bundle.mjs keeps native and
// dynamically-requiring packages out), and what those depend on. The file
// choices are pure; `runtimeModules` reads package.json files.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** The packages a bundle imports by bare name (not node: builtins, not relative paths). Pure. */
export function bareImports(bundle: string): string[] {
  const specs = [
    ...bundle.matchAll(/^\s*import\s[^;]*?\bfrom\s*["']([^"']+)["']/gm),
    ...bundle.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...bundle.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  const names = specs
    .filter((spec) => !spec.startsWith("node:") && /^(@[\w.~-]+\/)?[\w~-][\w.~-]*(\/.*)?$/.test(spec))
    .map((spec) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!));
  return [...new Set(names)].sort();
}

/** Dependencies that only build or fetch a native module at `npm install` time. */
const installTimeOnly = new Set(["prebuild-install", "node-gyp", "node-gyp-build-optional-packages"]);

/**
 * The folders (relative to `root`, e.g. node_modules/fastify) of these
 * packages and all they depend on, as Node would resolve them from `root`.
 */
export function runtimeModules(root: string, names: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = resolvePackage(root, from, name);
    if (!dir) {
      if (optional) return;
      throw new Error(
        `${name}, needed by ${relative(root, from) || "the commands"}, is not in node_modules: run npm install`,
      );
    }
    const rel = relative(root, dir);
    if (found.has(rel)) return;
    found.add(rel);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies ?? {}))
      if (!installTimeOnly.has(dep)) visit(dep, dir, dep in (pkg.optionalDependencies ?? {}));
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, root, false);
  // A package nested in another's node_modules comes along with it.
  return [...found].filter((d) => ![...found].some((o) => o !== d && d.startsWith(`${o}/`))).sort();
}

function resolvePackage(root: string, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/**
 * Whether a file of node_modules (its path there) goes into a package:
 * what runs and its licences, not docs, tests, type declarations, the
 * modules' own command-line programs (`clis`, from their package.json
 * `bin`) or the sources of the native build. Pure.
 */
export function shippedModuleFile(path: string, clis: ReadonlySet<string>): boolean {
  const parts = path.split("/");
  const base = parts.at(-1)!;
  if (/^(licen[cs]e|copying|notice)/i.test(base)) return true;
  if (clis.has(path)) return false;
  // Folders of docs, tests and tooling, at the top of a module only: deeper
  // down a `doc/` can be code (yaml's dist/doc/).
  const last = parts.lastIndexOf("node_modules");
  const top = parts[last + 1 + (parts[last + 1]?.startsWith("@") ? 2 : 1)];
  const tooling = /^(test|tests|__tests__|\.github|docs?|examples?|benchmarks?|integration|scripts|\.bin)$/;
  if (top !== undefined && tooling.test(top)) return false;
  if (
    /\.(md|markdown|html|sh|ts|mts|cts|map|tsbuildinfo|gyp|gypi|cc|c|h|hpp|o|a|mk)$|^(\.|Makefile$|tsconfig)/.test(
      base,
    )
  )
    return false;
  // better-sqlite3 loads build/Release/better_sqlite3.node; the rest of build/ and deps/ made it.
  const native = parts.indexOf("better-sqlite3");
  if (native >= 0 && ["build", "deps", "src"].includes(parts[native + 1] ?? "")) {
    const rest = parts.slice(native + 1).join("/");
    const loaded = "build/Release/better_sqlite3.node";
    return rest === loaded || loaded.startsWith(`${rest}/`);
  }
  return true;
}

/** The files a module's package.json names as its commands (`bin`), relative to the root. */
export function moduleClis(folder: string, bin: string | Record<string, string> | undefined): string[] {
  const files = typeof bin === "string" ? [bin] : Object.values(bin ?? {});
  return files.map((f) => `${folder}/${f.replace(/^\.\//, "")}`);
}
