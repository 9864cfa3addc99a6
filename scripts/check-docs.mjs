// Checks the relative links of README.md and docs/*.md: every linked file must exist, and every
// `#anchor` must name a heading of its target (GitHub's heading ids). Exits 1 with one line per
// broken link, so a renamed page or heading cannot leave the docs pointing nowhere.
// Usage: npm run docs:check   (or: node scripts/check-docs.mjs [repository root])
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? ".");

/** README.md and the pages directly under docs/ (docs/_incoming/ holds drafts, not pages). */
function pages() {
  const list = [join(root, "README.md")];
  const docs = join(root, "docs");
  if (existsSync(docs)) {
    for (const name of readdirSync(docs).sort()) {
      if (name.endsWith(".md")) list.push(join(docs, name));
    }
  }
  return list.filter((file) => existsSync(file));
}

/** The lines outside fenced code blocks, with their numbers (headings and links live there). */
function proseLines(text) {
  const lines = [];
  let fence = null;
  text.split("\n").forEach((line, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === null) fence = marker[0];
      else if (marker[0] === fence) fence = null;
      return;
    }
    if (fence === null) lines.push({ line, number: index + 1 });
  });
  return lines;
}

/** GitHub's id for a heading: its text lowercased, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images keep their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/`/g, "")
    .replace(/\*+/g, "")
    .replace(/(^|[^\p{L}\p{N}])_+|_+(?=[^\p{L}\p{N}]|$)/gu, "$1"); // _emphasis_, not snake_case
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
    .replace(/ /g, "-");
}

const anchorCache = new Map();

/** Every anchor a Markdown file defines: heading ids (deduplicated as GitHub does) and HTML ids. */
function anchorsOf(file) {
  const cached = anchorCache.get(file);
  if (cached) return cached;
  const anchors = new Set();
  const seen = new Map();
  for (const { line } of proseLines(readFileSync(file, "utf8"))) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<[^>]+\s(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

/** The link targets of one line: inline links and images, and reference definitions. */
function targetsOf(line) {
  const code = line.replace(/`[^`]*`/g, (span) => " ".repeat(span.length)); // not in code spans
  const targets = [];
  for (const match of code.matchAll(
    /!?\[(?:[^\]]|\][^(])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
  )) {
    targets.push(match[1]);
  }
  const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(code)?.[1];
  if (definition !== undefined) targets.push(definition);
  return targets;
}

const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

const problems = [];
const files = pages();
for (const file of files) {
  for (const { line, number } of proseLines(readFileSync(file, "utf8"))) {
    for (const target of targetsOf(line)) {
      if (isExternal(target)) continue;
      const where = `${relative(root, file)}:${number}`;
      const [pathPart = "", anchor] = target.split("#", 2);
      let path;
      try {
        path = decodeURIComponent(pathPart);
      } catch {
        problems.push(`${where}: ${target}: not a valid URL path`);
        continue;
      }
      const linked = path === "" ? file : resolve(dirname(file), path);
      if (!existsSync(linked)) {
        problems.push(`${where}: ${target}: no such file`);
        continue;
      }
      if (anchor === undefined || anchor === "") continue;
      if (statSync(linked).isDirectory() || !linked.endsWith(".md")) {
        problems.push(`${where}: ${target}: an anchor into a file that is not Markdown`);
        continue;
      }
      if (!anchorsOf(linked).has(decodeURIComponent(anchor))) {
        problems.push(`${where}: ${target}: no heading "#${anchor}" in ${relative(root, linked)}`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Broken links in the docs (${problems.length}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`docs: ${files.length} files, every relative link resolves`);
