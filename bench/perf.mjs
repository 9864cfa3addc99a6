// `npm run bench:perf -- check floor-do`: Linux perf on the whole workerd process while wrk runs
// one side at a time (docs/benchmarks.md, "A profile of workerd"). A V8 profile sees JavaScript
// only; perf also sees workerd's C++, V8's runtime calls and collector, and the kernel. Each
// side's samples are divided by the requests it served, so two sides compare per request.
// Needs `perf` (Debian: linux-perf) and `wrk`; BENCH_PERF_C (default 1) requests in flight,
// BENCH_PERF_SECONDS (default 8) per side.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { mintToken } from "../scripts/lib/token.mjs";
import { call } from "./lib/http.mjs";
import { OUT } from "./lib/paths.mjs";
import { floorWorker } from "./lib/peer.mjs";
import { have, run } from "./lib/proc.mjs";
import { appWorker, bundle, startWorkerd } from "./lib/workerd.mjs";
import { postScript, wrk } from "./lib/wrk.mjs";

const SECRET = "bench-secret-0123456789abcdef";
const CONNECTIONS = Number(process.env.BENCH_PERF_C ?? 1);
const SECONDS = Number(process.env.BENCH_PERF_SECONDS ?? 8);
/** Sampling rate: prime, so it does not beat with a periodic timer. */
const HZ = 4_999;
/** Rows printed per side. */
const TOP = 15;

/** Where a sampled symbol belongs, so two sides compare layer by layer. */
function layer(what) {
  if (what.includes("[kernel")) return "the kernel";
  if (what.startsWith("[JIT]") || what.includes(" JS:")) return "JavaScript (compiled by V8)";
  if (/tcmalloc|TCMalloc/.test(what)) return "memory allocation";
  if (/Scaveng|cppgc|GlobalHandles|MarkCompact|Sweeper|ConcurrentMarking/.test(what))
    return "V8's collector and handles";
  if (/ Builtins_|v8::|_ZN2v8/.test(what)) return "V8's builtins and runtime calls";
  if (/sqlite/i.test(what)) return "SQLite";
  if (/workerd::|kj::|capnp::|kj_rs/.test(what)) return "workerd (RPC, I/O, bindings)";
  return "other (libc, unnamed)";
}

const names = process.argv.slice(2);
const SIDES = ["floor-do", "floor-write", "check", "consume"];
if (names.length === 0 || names.some((n) => !SIDES.includes(n))) {
  console.error(`usage: npm run bench:perf -- <${SIDES.join("|")}> ...`);
  process.exit(2);
}
for (const tool of ["perf", "wrk"]) {
  if (!(await have(tool))) {
    console.error(`bench:perf needs ${tool} on the path (Debian: linux-perf, wrk)`);
    process.exit(1);
  }
}

// V8 names its JavaScript frames for perf (a /tmp/perf-<pid>.map); Miniflare passes the flags.
process.env.MINIFLARE_WORKERD_V8_FLAGS = "--perf-basic-prof --interpreted-frames-native-stack";
const app = appWorker("app", await bundle("app"), { secret: SECRET });
const { mf, pid, url } = await startWorkerd([app, floorWorker()], { pin: true });
const dir = join(OUT, "perf");
mkdirSync(dir, { recursive: true });
try {
  const base = await url("app");
  const floor = await url("floor");
  const jwt = (role) => mintToken(SECRET, "bench-hot", role, 6 * 3600);
  await call(base, "PUT", "/v1/workspaces/bench-hot/subscription", jwt("platform"), {
    plan: "pro",
    seats: 1_000,
    overrides: { aiCreditsPerSeat: 10_000_000 },
    periodAnchor: new Date(Date.now() - 86_400_000).toISOString(),
  });
  const spend = { feature: "ai_rewriter", credits: 1 };
  const credits = `${base}v1/workspaces/bench-hot/credits`;
  const targets = {
    "floor-do": [`${floor}do`, postScript("perf-floor-do", spend)],
    "floor-write": [`${floor}write`, postScript("perf-floor-write", spend)],
    check: [`${credits}/check`, postScript("perf-check", spend, jwt("service"))],
    consume: [`${credits}/consume`, postScript("perf-consume", spend, jwt("service"))],
  };
  for (const name of names) {
    const [target, script] = targets[name];
    await wrk(target, script, CONNECTIONS, 2); // warm-up, unsampled
    const data = join(dir, `${name}-c${CONNECTIONS}.data`);
    const perf = spawn("perf", ["record", "-F", String(HZ), "-p", String(pid), "-o", data], {
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => perf.on("exit", resolve));
    const result = await wrk(target, script, CONNECTIONS, SECONDS);
    perf.kill("SIGINT");
    await exited;
    const report = await run("perf", [
      "report",
      "-i",
      data,
      "--no-children",
      "-n",
      "--sort",
      "dso,sym",
      "--stdio",
    ]);
    const rows = report
      .split("\n")
      .map((line) => /^\s*[\d.]+%\s+(\d+)\s+(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => ({ samples: Number(m[1]), what: m[2].replace(/\s+/g, " ").slice(0, 110) }));
    const total = rows.reduce((sum, r) => sum + r.samples, 0);
    const perRequest = (samples) => (samples / result.requests).toFixed(4);
    console.log(
      `\n${name} c=${CONNECTIONS}: ${result.requests} requests, p50 ${result.p50} ms; ` +
        `${perRequest(total)} samples per request (${((total / result.requests / HZ) * 1000).toFixed(3)} ms of CPU, perf's overhead included); ${data}`,
    );
    const layers = new Map();
    for (const r of rows) layers.set(layer(r.what), (layers.get(layer(r.what)) ?? 0) + r.samples);
    for (const [name, samples] of [...layers].sort((a, b) => b[1] - a[1])) {
      console.log(`  ${perRequest(samples)}  ${name}`);
    }
    console.log("  the symbols with most samples:");
    for (const r of rows.slice(0, TOP)) console.log(`  ${perRequest(r.samples)}  ${r.what}`);
  }
} finally {
  await mf.dispose();
}
