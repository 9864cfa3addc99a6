// Fails when the modules of src/ import each other in a cycle, type-only imports included:
// the layers point one way (docs/architecture.md#the-import-rule), and a cycle is a layer
// that points back. Run by `npm run lint`.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`, types included. */
const SPECIFIERS =
  /(?:^|[\s;])(?:import|export)\s[^"'`;]*?\bfrom\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function resolveImport(from, specifier) {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    base.replace(/\.js$/, ".ts"),
    join(base, "index.ts"),
  ]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Comments removed, so an example import in a doc comment is not an edge. */
const stripComments = (text) =>
  text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

const graph = new Map();
for (const file of filesUnder(SRC)) {
  const text = stripComments(readFileSync(file, "utf8"));
  const edges = new Set();
  for (const match of text.matchAll(SPECIFIERS)) {
    const target = resolveImport(file, match[1] ?? match[2] ?? match[3]);
    if (target?.startsWith(SRC)) edges.add(target);
  }
  graph.set(file, [...edges].sort());
}

// Depth-first search with colours; every back edge is one cycle, reported once.
const WHITE = 0;
const GREY = 1;
const BLACK = 2;
const colour = new Map([...graph.keys()].map((file) => [file, WHITE]));
const stack = [];
const cycles = [];
function visit(file) {
  colour.set(file, GREY);
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (colour.get(next) === GREY) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (colour.get(next) === WHITE) visit(next);
  }
  stack.pop();
  colour.set(file, BLACK);
}
for (const file of [...graph.keys()].sort()) if (colour.get(file) === WHITE) visit(file);

const name = (file) => relative(ROOT, file);
if (cycles.length > 0) {
  console.error(`Import cycles in src/ (docs/architecture.md#the-import-rule): ${cycles.length}`);
  for (const cycle of cycles) console.error(`  ${cycle.map(name).join(" → ")}`);
  process.exit(1);
}
console.log(`No import cycles in src/ (${graph.size} modules).`);
