// A V8 CPU profile of a Worker in workerd (through its inspector), summed per source file.
import { readFileSync } from "node:fs";
import { INSPECTOR_PORT } from "./workerd.mjs";

const log = (...a) => console.log(...a);

/** Starts V8's sampling profiler in a worker's isolate; answers a function that stops it. */
export async function startProfile(worker) {
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl?.endsWith(`core:user:${worker}`));
  if (target === undefined) throw new Error(`no inspector target for the ${worker} worker`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve) => socket.addEventListener("open", resolve));
  let id = 0;
  const pending = new Map();
  socket.addEventListener("message", (e) => {
    const m = JSON.parse(String(e.data));
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  return async () => {
    const { profile } = await send("Profiler.stop");
    socket.close();
    return profile;
  };
}

/** For a line of the bundle, the source file it came from (esbuild's `// path` markers). */
function sourceMap(bundlePath) {
  const marks = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const m = /^\/\/ (\S+\.(?:m?js|ts))$/.exec(line);
      if (m) marks.push([i, m[1].replace(/^(\.\.\/)+main\//, "").replace(/^node_modules\//, "")]);
    });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (marks[mid][0] <= line) lo = mid;
      else hi = mid - 1;
    }
    const file = marks[lo]?.[1] ?? "?";
    // Group a package's files: hono, zod, @hono/zod-openapi ...; the service's own by file.
    const pkg = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(file)?.[1];
    return file.startsWith("src/") ? file : (pkg ?? file);
  };
}

/** Self time of the busy samples per source file or package, and per function (inclusive). */
export function summarize(profile, requests, bundlePath) {
  const fileOf = sourceMap(bundlePath);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const inclusive = new Map();
  let busy = 0;
  for (const [node, n] of counts) {
    if (byId.get(node).callFrame.functionName === "(idle)") continue;
    busy += n;
    const seen = new Set();
    for (let at = node; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at).callFrame;
      const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").at(-1)}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + n);
    }
  }
  const selfByFile = new Map();
  for (const [node, n] of counts) {
    const f = byId.get(node).callFrame;
    if (f.functionName === "(idle)") continue;
    const key =
      f.url === "" ? `(runtime) ${f.functionName || "(anonymous)"}` : fileOf(f.lineNumber);
    selfByFile.set(key, (selfByFile.get(key) ?? 0) + n);
  }
  const intervalMs = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const perRequest = (n) => ((n * intervalMs * 1000) / requests).toFixed(1);
  log(
    `  JavaScript thread busy: ${perRequest(busy)} µs per request (${requests} requests); self time by source:`,
  );
  for (const [key, n] of [...selfByFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    log(
      `  ${((100 * n) / busy).toFixed(1).padStart(5)} %  ${perRequest(n).padStart(6)} µs  ${key}`,
    );
  }
  log("  inclusive, by function:");
  for (const [key, n] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(1, 30)) {
    log(`  ${((100 * n) / busy).toFixed(1).padStart(5)} %  ${key}`);
  }
}
