// `npm run bench`: the hot path on workerd, beside the runtime's own floors and a Redis peer.
//
// The Worker is bundled as deployed (`wrangler deploy --dry-run`) and served by workerd through
// Miniflare's API on a direct socket: no `wrangler dev` proxy, no Node in the request path. The
// floors run in the same workerd in the same run; the load comes from Debian's `wrk`, pinned
// to its own core where there are two. Each figure is the median of BENCH_REPEATS runs after a
// warm-up. Not a test: it prints a table and writes bench/.out/results.json, an ignored file;
// `npm run bench -- --write` also copies it to bench/results.json, the committed figures the
// docs quote (run that on a quiet machine).
//
//   npm run bench                      full run (about 15 minutes)
//   npm run bench -- --quick           2-second runs, one repeat, smaller memory figures
//   npm run bench -- --only=check,consume-hot
//   npm run bench -- --sockets=10      consume-hot in turns with and without 10 live sockets open
//   BENCH_SECONDS=10 BENCH_REPEATS=3 BENCH_TURNS=5 BENCH_WARMUP=3 BENCH_MEMORY=1000,10000
//   BENCH_MEMORY=100 npm run bench -- --quick --only=floor     the smallest run (a smoke test)
//
// Needs wrk on PATH, and redis-server for the peer-redis run (Debian: apt-get install wrk
// redis-server). It prints first how long it expects to take and what it needs, and stops with
// the name of a missing tool before starting anything.
//
// This file is the orchestration; the parts are in bench/lib/: wrk.mjs (load and figures),
// workerd.mjs (bundle and Miniflare), peer.mjs (floors and Redis peer), profile.mjs, cost.mjs.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { mintToken } from "../scripts/lib/token.mjs";
import { costPerMillion, PRICES } from "./lib/cost.mjs";
import { call, pool } from "./lib/http.mjs";
import { openLiveSockets } from "./lib/live.mjs";
import { OUT, ROOT } from "./lib/paths.mjs";
import { floorWorker, startPeer } from "./lib/peer.mjs";
import { CLIENT_CPU, CPUS, have, PIN, SERVER_CPU, sleep, statusKb } from "./lib/proc.mjs";
import { startProfile, summarize } from "./lib/profile.mjs";
import { round } from "./lib/stats.mjs";
import { appWorker, bundle, startWorkerd } from "./lib/workerd.mjs";
import {
  measure,
  measurePair,
  postScript,
  reserveCommitScript,
  spreadScript,
  wrk,
} from "./lib/wrk.mjs";

// ---- settings --------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const WRITE = argv.includes("--write");
const ONLY = argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
/** --profile=<run>: a V8 CPU profile of workerd during that run at c=32 (bench/.out/<run>.cpuprofile). */
const PROFILE = argv.find((a) => a.startsWith("--profile="))?.slice(10);
/**
 * --sockets=N: consume-hot is also measured in turns with and without N live sockets (at most
 * 100) watching bench-hot, opened before each of its turns and closed after.
 */
const SOCKETS = Number(argv.find((a) => a.startsWith("--sockets="))?.slice(10) ?? 0);
if (!Number.isInteger(SOCKETS) || SOCKETS < 0 || SOCKETS > 100) {
  console.error("--sockets takes a whole number from 0 to 100 (a workspace keeps at most 100)");
  process.exit(1);
}
/**
 * --aa: floor-do is also measured in turns against itself, the method's own spread: how far a
 * ratio of two identical runs lands from 1 on this host (docs/benchmarks.md, "Paired ratios").
 */
const AA = argv.includes("--aa");
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 10));
const WARMUP = Number(process.env.BENCH_WARMUP ?? (QUICK ? 1 : 3));
const REPEATS = Number(process.env.BENCH_REPEATS ?? (QUICK ? 1 : 3));
/** Turns of each side in a paired measurement: its targets are judged on their median. */
const TURNS = Number(process.env.BENCH_TURNS ?? (QUICK ? 1 : 5));
const MEMORY_SIZES = (process.env.BENCH_MEMORY ?? (QUICK ? "1000" : "1000,10000"))
  .split(",")
  .map(Number);
const CONCURRENCIES = [1, 32];
const SPREAD = 1_000;
const SECRET = "bench-secret-0123456789abcdef";

// ---- small helpers ---------------------------------------------------------------------------

const log = (...a) => console.log(...a);

const jwt = (ws, role) => mintToken(SECRET, ws, role, 6 * 3600);

// ---- the service through HTTP (setup and checks, not timed) ----------------------------------

const BIG = { plan: "pro", seats: 1_000, overrides: { aiCreditsPerSeat: 10_000_000 } };

async function subscribe(base, ws, overrides = BIG) {
  const anchor = new Date(Date.now() - 86_400_000).toISOString();
  await call(base, "PUT", `/v1/workspaces/${ws}/subscription`, jwt(ws, "platform"), {
    ...overrides,
    periodAnchor: anchor,
  });
}

/**
 * No overspend under concurrency: 3× a small balance in 1-credit consumes, 32 at a time.
 * Exactly the balance is allowed, and the pool's `used` equals the allowed answers.
 */
async function overspendCheck(base) {
  const ws = "bench-over";
  const balance = 1_000;
  await subscribe(base, ws, { plan: "pro", seats: 1, overrides: { aiCreditsPerSeat: balance } });
  const token = jwt(ws, "service");
  let allowed = 0;
  await pool(3 * balance, 32, async () => {
    const d = await call(base, "POST", `/v1/workspaces/${ws}/credits/consume`, token, {
      feature: "ai_rewriter",
      credits: 1,
    });
    if (d.allowed) allowed++;
  });
  const view = await call(base, "GET", `/v1/workspaces/${ws}/credits`, jwt(ws, "viewer"));
  const overspend = Math.max(0, view.used - view.monthlyBalance) + Math.abs(view.used - allowed);
  log(
    `  overspend check: balance ${view.monthlyBalance}, ${allowed} allowed of ${3 * balance}, used ${view.used} -> overspend ${overspend}`,
  );
  return overspend;
}

/** SQL per call through the counting build: statements, rows read and written, averaged. */
async function statementCounts(countingUrl) {
  const ws = "stmt";
  await subscribe(countingUrl, ws);
  const service = jwt(ws, "service");
  const spend = { feature: "ai_rewriter", credits: 1 };
  const path = (p) => `/v1/workspaces/${ws}${p}`;
  const check = () => call(countingUrl, "POST", path("/credits/check"), service, spend);
  const consume = (key) =>
    fetch(new URL(path("/credits/consume"), countingUrl), {
      method: "POST",
      headers: {
        authorization: `Bearer ${service}`,
        "content-type": "application/json",
        ...(key === undefined ? {} : { "idempotency-key": key }),
      },
      body: JSON.stringify(spend),
    }).then((r) => r.json());
  const reserveCommit = async () => {
    const r = await call(countingUrl, "POST", path("/credits/reservations"), service, {
      ...spend,
      ttlSeconds: 3600,
    });
    await call(
      countingUrl,
      "POST",
      path(`/credits/reservations/${r.reservationId}/commit`),
      service,
      { credits: 1 },
    );
  };
  const stats = () => fetch(new URL(`/__sql/${ws}`, countingUrl)).then((r) => r.json());
  // Warm: every kind of call, then let the alarm the first hold sets run its due work.
  for (let i = 0; i < 20; i++) {
    await check();
    await consume();
    await consume(`warm-${i}`);
    await reserveCommit();
  }
  await sleep(1_000);
  const N = 200;
  const per = (s, n) => ({
    statements: round(s.statements / n, 2),
    rowsRead: round(s.rowsRead / n, 2),
    rowsWritten: round(s.rowsWritten / n, 2),
  });
  await stats();
  for (let i = 0; i < N; i++) await check();
  const checkStats = per(await stats(), N);
  for (let i = 0; i < N; i++) await consume();
  const consumeStats = per(await stats(), N);
  for (let i = 0; i < N; i++) await consume(`key-${i}`);
  const keyStats = per(await stats(), N);
  for (let i = 0; i < N; i++) await reserveCommit();
  const rcStats = per(await stats(), N);
  return {
    check: checkStats,
    consume: consumeStats,
    consumeWithKey: keyStats,
    reserveCommit: rcStats,
  };
}

async function memoryFigures(appBundle) {
  const state = mkdtempSync(join(os.tmpdir(), "quota-bench-mem-"));
  const { mf, pid, url } = await startWorkerd([appWorker("app", appBundle, { secret: SECRET })], {
    state,
    pin: true,
  });
  const base = await url("app");
  const figures = { baseline: statusKb(pid, "VmHWM") * 1024 };
  let touched = 0;
  try {
    for (const size of MEMORY_SIZES) {
      await pool(size - touched, 32, async (i) => {
        const ws = `mem-${touched + i}`;
        await subscribe(base, ws);
        await call(base, "POST", `/v1/workspaces/${ws}/credits/consume`, jwt(ws, "service"), {
          feature: "ai_rewriter",
          credits: 1,
        });
      });
      touched = size;
      figures[String(size)] = statusKb(pid, "VmHWM") * 1024;
      log(
        `  ${size} workspaces touched: workerd peak RSS ${Math.round(figures[String(size)] / 2 ** 20)} MiB`,
      );
    }
  } finally {
    await mf.dispose();
    rmSync(state, { recursive: true, force: true });
  }
  return figures;
}

// ---- the run ---------------------------------------------------------------------------------

const RUNS = [
  "floor",
  "floor-do",
  "floor-write",
  "check",
  "consume-hot",
  "consume-spread",
  "reserve-commit",
  "peer-redis",
];
const FLOOR_OF = {
  "floor-do": "floor",
  "floor-write": "floor",
  check: "floor-do",
  "consume-hot": "floor-write",
  "consume-spread": "floor-write",
  "reserve-commit": "floor-write",
};
/** The runs whose targets are ratios to a floor: also measured in turns with it. */
const PAIRED = [
  ["check", "floor-do"],
  ["consume-hot", "floor-write"],
];
const ratiosOf = ({ p50Ratio, rpsRatio, cpuRatio }) => ({ p50Ratio, rpsRatio, cpuRatio });
const describeRatios = (pair) =>
  `p50 ${pair.p50Ratio}×, req/s ${Math.round(pair.rpsRatio * 100)} %, CPU ${pair.cpuRatio}× (medians of turns)`;
const selected = (name) => ONLY === undefined || ONLY.includes(name);
const unknown = [...(ONLY ?? []), ...(PROFILE === undefined ? [] : [PROFILE])].filter(
  (name) => !RUNS.includes(name),
);
if (unknown.length > 0) {
  console.error(`unknown run ${unknown.join(", ")}: the runs are ${RUNS.join(", ")}`);
  process.exit(1);
}

// ---- what the run takes, before anything starts ----------------------------------------------

// wrk's time is exact; the rest (bundling twice, setup, the checks, the memory figures: about
// 25 s per 1,000 workspaces touched) is what a full run took on an idle 2-core machine.
const pairs =
  PAIRED.filter(([name, floor]) => selected(name) && selected(floor)).length +
  (SOCKETS > 0 && selected("consume-hot") ? 1 : 0) +
  (AA && selected("floor-do") ? 1 : 0);
const wrkSeconds =
  RUNS.filter(selected).length * CONCURRENCIES.length * (WARMUP + REPEATS * SECONDS) +
  2 * pairs * CONCURRENCIES.length * (WARMUP + TURNS * SECONDS) +
  (PROFILE === undefined ? 0 : SECONDS);
const otherSeconds = 60 + (selected("consume-spread") ? 20 : 0) + 0.025 * Math.max(...MEMORY_SIZES);
log(
  `npm run bench: about ${Math.ceil((wrkSeconds + otherSeconds) / 60)} min on an idle 2-core machine (${wrkSeconds} s of it under wrk), longer on a busy one`,
);
const TOOLS = [
  ["wrk", "the load of every run"],
  ["redis-server", "the peer-redis run"],
].filter(([tool]) => tool !== "redis-server" || selected("peer-redis"));
log(
  `needs on PATH: ${TOOLS.map(([tool, why]) => `${tool} (${why})`).join(", ")}; taskset (optional, pins the cores)\n`,
);
const missing = [];
for (const [tool] of TOOLS) if (!(await have(tool))) missing.push(tool);
if (missing.length > 0) {
  console.error(
    `cannot run: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not on PATH (Debian: apt-get install ${missing.join(" ")})`,
  );
  process.exit(1);
}
rmSync(join(OUT, "lua"), { recursive: true, force: true });
mkdirSync(join(OUT, "lua"), { recursive: true });

const machine = `${CPUS} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; load average ${os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(
    " ",
  )} at start; ${PIN ? `workerd and the peer on core ${SERVER_CPU}, wrk on core ${CLIENT_CPU}` : "not pinned"}`;
log(`machine: ${machine}`);
log(
  `runs: ${SECONDS}s each after ${WARMUP}s warm-up, median of ${REPEATS}; in turns with a floor: median of ${TURNS} turns\n`,
);

log("bundling the Worker (wrangler deploy --dry-run)...");
const appBundle = await bundle("app");
const countingBundle = await bundle("counting", "bench/counting-entry.ts");

const state = mkdtempSync(join(os.tmpdir(), "quota-bench-"));
const peerDir = mkdtempSync(join(os.tmpdir(), "quota-bench-redis-"));
const workerd = await startWorkerd(
  [
    appWorker("app", appBundle, { secret: SECRET }),
    appWorker("counting", countingBundle, { secret: SECRET }),
    floorWorker(),
  ],
  { state, inspect: PROFILE !== undefined, pin: true },
);
let peer;
let live;
const cleanup = async () => {
  peer?.stop();
  live?.close();
  await workerd.mf.dispose().catch(() => undefined);
  rmSync(state, { recursive: true, force: true });
  rmSync(peerDir, { recursive: true, force: true });
};
process.on("SIGINT", () => cleanup().then(() => process.exit(130)));

const results = { runs: [] };
try {
  const app = await workerd.url("app");
  const floor = await workerd.url("floor");
  const spend = { feature: "ai_rewriter", credits: 1 };

  log("setting up workspaces...");
  await subscribe(app, "bench-hot");
  await subscribe(app, "bench-rc");
  const spreadTokens = [];
  if (selected("consume-spread")) {
    await pool(SPREAD, 16, async (i) => {
      await subscribe(app, `spread-${i}`);
    });
    for (let i = 0; i < SPREAD; i++) spreadTokens[i] = jwt(`spread-${i}`, "service");
  }

  const plan = {
    floor: () => [`${floor}`, postScript("floor", spend)],
    "floor-do": () => [`${floor}do`, postScript("floor-do", spend)],
    "floor-write": () => [`${floor}write`, postScript("floor-write", spend)],
    check: () => [
      `${app}v1/workspaces/bench-hot/credits/check`,
      postScript("check", spend, jwt("bench-hot", "service")),
    ],
    "consume-hot": () => [
      `${app}v1/workspaces/bench-hot/credits/consume`,
      postScript("consume-hot", spend, jwt("bench-hot", "service")),
    ],
    "consume-spread": () => [`${app}`, spreadScript(spreadTokens)],
    "reserve-commit": () => [`${app}`, reserveCommitScript(jwt("bench-rc", "service"))],
    "peer-redis": async () => {
      peer = await startPeer(peerDir, SECRET);
      return [peer.url, postScript("peer-redis", spend, jwt("peer", "service"))];
    },
  };

  log("\nmeasuring (wrk)...");
  for (const name of RUNS) {
    if (!selected(name)) continue;
    const [url, script] = await plan[name]();
    for (const c of CONCURRENCIES) {
      const pid = name === "peer-redis" ? undefined : workerd.pid;
      results.runs.push(
        await measure(name, url, script, c, pid, {
          warmup: WARMUP,
          repeats: REPEATS,
          seconds: SECONDS,
        }),
      );
    }
    if (name === PROFILE && name !== "peer-redis") {
      const stop = await startProfile(name.startsWith("floor") ? "floor" : "app");
      const r = await wrk(url, script, 32, SECONDS);
      const profile = await stop();
      writeFileSync(join(OUT, `${name}.cpuprofile`), JSON.stringify(profile));
      log(`\n  profile of ${name} at c=32 (bench/.out/${name}.cpuprofile):`);
      summarize(
        profile,
        r.requests,
        name.startsWith("floor") ? join(ROOT, "bench", "floor-worker.mjs") : appBundle,
      );
      log("");
    }
  }

  // The targets' ratios, each run in turns with its floor (lib/wrk.mjs, measurePair).
  results.paired = [];
  const side = async (name) => {
    const [url, script] = await plan[name]();
    return { name, url, script };
  };
  for (const [name, floorName] of PAIRED) {
    if (!selected(name) || !selected(floorName)) continue;
    if (results.paired.length === 0) log("\nin turns with the floor (paired ratios)...");
    for (const c of CONCURRENCIES) {
      const pair = await measurePair(await side(floorName), await side(name), c, workerd.pid, {
        warmup: WARMUP,
        repeats: TURNS,
        seconds: SECONDS,
      });
      results.paired.push({ run: name, base: floorName, concurrency: c, ...ratiosOf(pair) });
      log(`    ${name} / ${floorName} c=${c}: ${describeRatios(pair)}`);
    }
  }
  if (AA && selected("floor-do")) {
    log("\nfloor-do in turns with itself (A/A: the method's own spread)...");
    for (const c of CONCURRENCIES) {
      const same = await side("floor-do");
      const pair = await measurePair(same, { ...same, name: "floor-do again" }, c, workerd.pid, {
        warmup: WARMUP,
        repeats: TURNS,
        seconds: SECONDS,
      });
      results.paired.push({ run: "floor-do", base: "floor-do", concurrency: c, ...ratiosOf(pair) });
      log(`    floor-do / floor-do c=${c}: ${describeRatios(pair)}`);
    }
  }
  if (SOCKETS > 0 && selected("consume-hot")) {
    log(`\nconsume-hot in turns without and with ${SOCKETS} live sockets on bench-hot...`);
    const pushes = [];
    const watched = {
      ...(await side("consume-hot")),
      name: `+${SOCKETS} sockets`,
      before: async () => {
        live = await openLiveSockets(app, "bench-hot", jwt("bench-hot", "viewer"), SOCKETS);
      },
      after: async () => {
        pushes.push(...live.messages());
        live.close();
        live = undefined;
      },
    };
    for (const c of CONCURRENCIES) {
      const pair = await measurePair(await side("consume-hot"), watched, c, workerd.pid, {
        warmup: WARMUP,
        repeats: TURNS,
        seconds: SECONDS,
      });
      results.paired.push({
        run: `consume-hot+${SOCKETS} sockets`,
        base: "consume-hot",
        concurrency: c,
        ...ratiosOf(pair),
      });
      log(`    with / without sockets c=${c}: ${describeRatios(pair)}`);
    }
    results.liveMessages = pushes;
    const max = Math.max(...pushes);
    log(`  live pushes per socket per turn: at most ${max} (coalesced to ≤ 4 a second)`);
  }

  log("\nchecking...");
  results.overspend = await overspendCheck(app);
  const hot = await call(
    app,
    "GET",
    "/v1/workspaces/bench-hot/credits",
    jwt("bench-hot", "viewer"),
  );
  if (hot.remaining < 0) results.overspend += -hot.remaining;

  log("counting SQL per call (the counting build)...");
  const sql = await statementCounts(await workerd.url("counting"));
  log(`  check ${JSON.stringify(sql.check)}`);
  log(`  consume ${JSON.stringify(sql.consume)}`);
  log(`  consume with Idempotency-Key ${JSON.stringify(sql.consumeWithKey)}`);
  log(`  reserve + commit (per pair) ${JSON.stringify(sql.reserveCommit)}`);
  results.sql = sql;
} finally {
  await cleanup();
}

log("\nmemory...");
results.memory = await memoryFigures(appBundle);

// ---- report ----------------------------------------------------------------------------------

const find = (name, c) => results.runs.find((r) => r.name === name && r.concurrency === c);
const cpuOf = (name) => find(name, 32)?.cpu_ms_per_request ?? Number.NaN;
const activeOf = (name) => find(name, 1)?.p50_ms ?? Number.NaN;
const cost = {
  check: costPerMillion(results.sql.check, cpuOf("check"), activeOf("check")),
  consume: costPerMillion(results.sql.consume, cpuOf("consume-hot"), activeOf("consume-hot")),
};

const output = {
  machine,
  date: new Date().toISOString(),
  settings: {
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    repeats: REPEATS,
    pinned: PIN,
    liveSockets: SOCKETS,
  },
  ...(results.liveMessages !== undefined && { liveMessages: results.liveMessages }),
  // Ratios measured in turns (lib/wrk.mjs, measurePair): what the targets are judged on.
  paired: results.paired,
  runs: results.runs.map(({ name, concurrency, rps, p50_ms, p99_ms }) => ({
    name,
    concurrency,
    rps,
    p50_ms,
    p99_ms,
  })),
  statements: { check: results.sql.check.statements, consume: results.sql.consume.statements },
  rowsWritten: { check: results.sql.check.rowsWritten, consume: results.sql.consume.rowsWritten },
  overspend: results.overspend,
  memory: Object.fromEntries(MEMORY_SIZES.map((n) => [String(n), results.memory[String(n)]])),
  costPerMillion: { check: cost.check.total, consume: cost.consume.total },
  detail: {
    sql: results.sql,
    cpuMsPerRequest: Object.fromEntries(
      results.runs
        .filter((r) => r.concurrency === 32 && Number.isFinite(r.cpu_ms_per_request))
        .map((r) => [r.name, r.cpu_ms_per_request]),
    ),
    memoryBaselineBytes: results.memory.baseline,
    costPerMillion: cost,
    prices: PRICES,
    notes: [
      "cpu_ms_per_request: workerd's user+system CPU (Worker, object, HTTP, SQLite) per request at c=32.",
      "objectDuration uses the c=1 p50 as the object's active time: an upper bound.",
      "Costs are marginal, beyond the Workers Paid plan's included monthly amounts.",
    ],
  },
};

const pct = (a, b) => (b ? `${Math.round((100 * a) / b)} %` : "–");
const times = (a, b) => (b ? `${(a / b).toFixed(2)}×` : "–");
const rows = output.runs.map((r) => {
  const f = FLOOR_OF[r.name] && find(FLOOR_OF[r.name], r.concurrency);
  const p = find("peer-redis", r.concurrency);
  return {
    run: r.name,
    c: r.concurrency,
    "req/s": r.rps,
    "p50 ms": r.p50_ms,
    "p99 ms": r.p99_ms,
    floor: FLOOR_OF[r.name] ?? "",
    "p50 / floor": f ? times(r.p50_ms, f.p50_ms) : "",
    "req/s of floor": f ? pct(r.rps, f.rps) : "",
    "p50 / peer": p && r.name !== "peer-redis" ? times(r.p50_ms, p.p50_ms) : "",
    "req/s of peer": p && r.name !== "peer-redis" ? pct(r.rps, p.rps) : "",
  };
});
log("");
console.table(rows);

const targets = [];
const target = (what, ok) => targets.push(`${ok ? "meets" : "MISSES"}: ${what}`);
const t = (name, c) => find(name, c);
/** A target's ratio: measured in turns with its base when it was, else the two figures'. */
const pairedOf = (name, c) => results.paired.find((p) => p.run === name && p.concurrency === c);
const p50Ratio = (name, base, c) =>
  pairedOf(name, c)?.p50Ratio ?? t(name, c).p50_ms / t(base, c).p50_ms;
const rpsRatio = (name, base, c) => pairedOf(name, c)?.rpsRatio ?? t(name, c).rps / t(base, c).rps;
if (t("check", 1) && t("floor-do", 1)) {
  target("check p50 ≤ 1.2× floor-do at c=1", p50Ratio("check", "floor-do", 1) <= 1.2);
  target("check ≥ 75 % of floor-do's req/s at c=32", rpsRatio("check", "floor-do", 32) >= 0.75);
}
if (t("consume-hot", 1) && t("floor-write", 1)) {
  target(
    "consume p50 ≤ 1.25× floor-write at c=1",
    p50Ratio("consume-hot", "floor-write", 1) <= 1.25,
  );
  target(
    "consume ≥ 75 % of floor-write's req/s at c=32",
    rpsRatio("consume-hot", "floor-write", 32) >= 0.75,
  );
}
const watched = `consume-hot+${SOCKETS} sockets`;
if (pairedOf(watched, 1)) {
  target(
    `consume p50 with ${SOCKETS} sockets ≤ 1.1× without, c=1`,
    pairedOf(watched, 1).p50Ratio <= 1.1,
  );
  target(
    `consume req/s with ${SOCKETS} sockets ≥ 1/1.1 of without, c=32`,
    pairedOf(watched, 32).rpsRatio >= 1 / 1.1,
  );
}
target(
  "check ≤ 4 statements and 0 rows written",
  output.statements.check <= 4 && output.rowsWritten.check === 0,
);
target(
  "consume ≤ 8 statements and ≤ 3 rows written",
  output.statements.consume <= 8 && output.rowsWritten.consume <= 3,
);
target("zero overspend", output.overspend === 0);
output.detail.targets = targets;
log(targets.join("\n"));
log(
  `\nstatements per call: check ${output.statements.check}, consume ${output.statements.consume}; rows written: check ${output.rowsWritten.check}, consume ${output.rowsWritten.consume}`,
);
log(
  `cost per million (USD, prices of ${PRICES.asOf}): check ${cost.check.total}, consume ${cost.consume.total}`,
);
log(
  `memory (workerd peak RSS): ${MEMORY_SIZES.map((n) => `${n} workspaces ${Math.round(output.memory[String(n)] / 2 ** 20)} MiB`).join(", ")}`,
);

mkdirSync(OUT, { recursive: true });
const file = join(OUT, "results.json");
writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
log(`\nwritten to ${file}`);
if (WRITE) {
  const committed = join(ROOT, "bench", "results.json");
  if (ONLY !== undefined || QUICK || SOCKETS > 0) {
    log(
      "(--write ignored for a partial, quick or --sockets run: bench/results.json keeps the full figures)",
    );
  } else {
    copyFileSync(file, committed);
    log(`copied to ${committed}`);
  }
} else if (!existsSync(join(ROOT, "bench", "results.json"))) {
  log("(bench/results.json, the committed figures, is written by `npm run bench -- --write`)");
}
