// `npm run bench`: the preflight on workerd, beside the runtime's own floors and a Redis peer.
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
//   BENCH_SECONDS=10 BENCH_REPEATS=3 BENCH_WARMUP=3 BENCH_MEMORY=1000,10000
//
// Needs wrk and redis-server on PATH (Debian: apt-get install wrk redis-server).
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { mintToken } from "../scripts/lib/token.mjs";

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
const INSPECTOR_PORT = 9_339;
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 10));
const WARMUP = Number(process.env.BENCH_WARMUP ?? (QUICK ? 1 : 3));
const REPEATS = Number(process.env.BENCH_REPEATS ?? (QUICK ? 1 : 3));
const MEMORY_SIZES = (process.env.BENCH_MEMORY ?? (QUICK ? "1000" : "1000,10000"))
  .split(",")
  .map(Number);
const CONCURRENCIES = [1, 32];
const SPREAD = 1_000;
const SECRET = "bench-secret-0123456789abcdef";
const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "bench", ".out");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const COMPAT_DATE =
  /compatibility_date\s*=\s*"([^"]+)"/.exec(
    readFileSync(join(ROOT, "wrangler.toml"), "utf8"),
  )?.[1] ?? "2026-11-01";

/**
 * Cloudflare's published prices (Workers Paid plan), beyond the included monthly amounts, as
 * read from developers.cloudflare.com on 2026-11-21:
 *   https://developers.cloudflare.com/workers/platform/pricing/          (Workers Standard)
 *   https://developers.cloudflare.com/durable-objects/platform/pricing/  (compute and SQLite storage)
 */
const PRICES = {
  asOf: "2026-11-21",
  sources: [
    "https://developers.cloudflare.com/workers/platform/pricing/",
    "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  ],
  workerRequestsPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestsPerMillion: 0.15,
  doDurationPerMillionGbS: 12.5,
  doDurationGb: 0.125,
  rowsReadPerMillion: 0.001,
  rowsWrittenPerMillion: 1.0,
};

// ---- small helpers ---------------------------------------------------------------------------

const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const jwt = (ws, role) => mintToken(SECRET, ws, role, 6 * 3600);

/** Runs a command to its end; answers its stdout (throws with stderr on failure). */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err || out}`)),
    );
  });
}

const have = async (cmd) =>
  run("sh", ["-c", `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );

const CPUS = os.cpus().length;
const PIN = CPUS >= 2 && (await have("taskset"));
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
const pinned = (cmd, args, cpu) => (PIN ? ["taskset", ["-c", cpu, cmd, ...args]] : [cmd, args]);

/** The workerd process Miniflare started (a child of this process). */
async function workerdPid() {
  const out = await run("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)]);
  const line = out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find(([, comm]) => comm === "workerd");
  if (line === undefined) throw new Error("workerd process not found");
  return Number(line[0]);
}

const procStatus = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
const statusKb = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(procStatus(pid))?.[1]);
/** User + system CPU time of a process, in ms (and the system part alone). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const [user, system] = [Number(fields[11]) * 10, Number(fields[12]) * 10];
  return { total: user + system, system };
}

// ---- wrk -------------------------------------------------------------------------------------

function luaString(s) {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A wrk script posting one JSON body with a bearer token (or none). */
function postScript(name, body, token) {
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = ${luaString(JSON.stringify(body))}`,
    'wrk.headers["Content-Type"] = "application/json"',
  ];
  if (token !== undefined) lines.push(`wrk.headers["Authorization"] = "Bearer ${token}"`);
  const file = join(OUT, "lua", `${name}.lua`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Consumes spread over many workspaces, each with its own token, chosen at random. */
function spreadScript(tokens) {
  const file = join(OUT, "lua", "consume-spread.lua");
  writeFileSync(
    file,
    `local tokens = {\n${tokens.map((t) => `  "${t}",`).join("\n")}\n}
local body = ${luaString(JSON.stringify({ feature: "ai_rewriter", credits: 1 }))}
request = function()
  local i = math.random(#tokens)
  return wrk.format("POST", "/v1/workspaces/spread-" .. (i - 1) .. "/credits/consume",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[i] }, body)
end
`,
  );
  return file;
}

/**
 * Reserve, then commit: each answer to a reservation queues its id, and the next request
 * commits a queued id when there is one, else reserves. Requests alternate (at c=1 strictly).
 */
function reserveCommitScript(token) {
  const file = join(OUT, "lua", "reserve-commit.lua");
  writeFileSync(
    file,
    `local ids = {}
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer ${token}" }
local base = "/v1/workspaces/bench-rc/credits/reservations"
local reserve = ${luaString(JSON.stringify({ feature: "ai_rewriter", credits: 2, ttlSeconds: 3600 }))}
local commit = ${luaString(JSON.stringify({ credits: 1 }))}
request = function()
  local id = table.remove(ids)
  if id then return wrk.format("POST", base .. "/" .. id .. "/commit", headers, commit) end
  return wrk.format("POST", base, headers, reserve)
end
response = function(status, hdrs, body)
  if body:find('"ttlSeconds"', 1, true) then
    local id = body:match('"reservationId":"(rsv_%w+)"')
    if id then table.insert(ids, id) end
  end
end
`,
  );
  return file;
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000 };
const duration = (v) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : Number.NaN;
};

/** One wrk run: requests per second, p50 and p99 in ms, errors. */
async function wrk(url, script, connections, seconds) {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url];
  const [cmd, full] = pinned("wrk", args, CLIENT_CPU);
  const out = await run(cmd, full);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = duration(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = duration(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors:.*/.exec(out)?.[0];
  if (non2xx > 0 || socketErrors) {
    throw new Error(`wrk ${url}: ${non2xx} non-2xx answers ${socketErrors ?? ""}\n${out}`);
  }
  return { rps, p50, p99, requests };
}

/** Warm-up, then the median of REPEATS runs; with `pid`, the server's CPU per request. */
async function measure(name, url, script, connections, pid) {
  await wrk(url, script, connections, WARMUP);
  const runs = [];
  for (let i = 0; i < REPEATS; i++) {
    const before = pid === undefined ? undefined : cpuMs(pid);
    const r = await wrk(url, script, connections, SECONDS);
    const after = pid === undefined ? undefined : cpuMs(pid);
    const cpu = after && before ? (after.total - before.total) / r.requests : Number.NaN;
    const sys = after && before ? (after.system - before.system) / r.requests : Number.NaN;
    runs.push({ ...r, cpu, sys });
  }
  const result = {
    name,
    concurrency: connections,
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50_ms: round(median(runs.map((r) => r.p50))),
    p99_ms: round(median(runs.map((r) => r.p99))),
    cpu_ms_per_request: round(median(runs.map((r) => r.cpu)), 4),
    system_cpu_ms_per_request: round(median(runs.map((r) => r.sys)), 4),
  };
  log(
    `  ${name.padEnd(15)} c=${String(connections).padEnd(3)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  cpu ${result.cpu_ms_per_request} ms/req (system ${result.system_cpu_ms_per_request})`,
  );
  return result;
}

// ---- the service through HTTP (setup and checks, not timed) ----------------------------------

async function call(base, method, path, token, body) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Runs `tasks` with at most `width` in flight. */
async function pool(count, width, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

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

// ---- the peer --------------------------------------------------------------------------------

async function startPeer(dir) {
  const redisPort = 20_000 + Math.floor(Math.random() * 10_000);
  const httpPort = redisPort + 1;
  const [rcmd, rargs] = pinned(
    "redis-server",
    [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--dir",
      dir,
    ],
    SERVER_CPU,
  );
  const redis = spawn(rcmd, rargs, { stdio: "ignore" });
  await sleep(500);
  const [pcmd, pargs] = pinned(
    process.execPath,
    [join(ROOT, "bench", "peer-server.mjs"), String(httpPort), String(redisPort), SECRET],
    SERVER_CPU,
  );
  const peer = spawn(pcmd, pargs, { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("peer did not start")), 20_000);
    peer.stdout.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const { default: Redis } = await import("ioredis");
  const client = new Redis({ port: redisPort, host: "127.0.0.1" });
  await client.mset(
    "peer:balance",
    1e15,
    "peer:used",
    0,
    "peer:cap:ai_rewriter",
    1e15,
    "peer:used:ai_rewriter",
    0,
  );
  await client.quit();
  return {
    url: `http://127.0.0.1:${httpPort}/consume`,
    stop: () => {
      peer.kill("SIGTERM");
      redis.kill("SIGTERM");
    },
  };
}

// ---- workerd ---------------------------------------------------------------------------------

async function bundle(name, entry) {
  const outdir = join(OUT, "build", name);
  await run(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir, ...(entry ? [entry] : [])], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  // wrangler names the bundle after its entry: index.js for src/index.ts.
  const base = entry === undefined ? "index" : entry.split("/").at(-1).replace(/\.ts$/, "");
  return join(outdir, `${base}.js`);
}

const directSocket = [{ host: "127.0.0.1", port: 0 }];

function appWorker(name, scriptPath) {
  return {
    name,
    modules: true,
    scriptPath,
    compatibilityDate: COMPAT_DATE,
    durableObjects: {
      WORKSPACE: { className: "WorkspaceObject", useSQLite: true },
      DUE_INDEX: { className: "DueIndex", useSQLite: true },
    },
    bindings: { AUTH_SECRET: SECRET, TEST_CLOCKS: "off" },
    unsafeDirectSockets: directSocket,
  };
}

async function startWorkerd(workers, state, inspect = false) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      resourcePersistencePath: state,
      workers,
      ...(inspect ? { inspectorPort: INSPECTOR_PORT } : {}),
    }),
  );
  await mf.ready;
  const pid = await workerdPid();
  if (PIN) await run("taskset", ["-a", "-p", "-c", SERVER_CPU, String(pid)]);
  const url = async (name) => (await mf.unsafeGetDirectURL(name)).href;
  return { mf, pid, url };
}

/** workerd's peak RSS after touching N workspaces (a subscription and a consume each). */
async function memoryFigures(appBundle) {
  const state = mkdtempSync(join(os.tmpdir(), "quota-bench-mem-"));
  const { mf, pid, url } = await startWorkerd([appWorker("app", appBundle)], state);
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

// ---- profile ---------------------------------------------------------------------------------

/** Starts V8's sampling profiler in a worker's isolate; answers a function that stops it. */
async function startProfile(worker) {
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
function summarize(profile, requests, bundlePath) {
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

// ---- costs -----------------------------------------------------------------------------------

/** USD per million calls beyond the included amounts: one Worker request and one object call. */
function costPerMillion(sql, cpuMsPerRequest, activeMs) {
  const p = PRICES;
  const parts = {
    workerRequests: p.workerRequestsPerMillion,
    workerCpu: cpuMsPerRequest * p.workerCpuPerMillionMs,
    objectRequests: p.doRequestsPerMillion,
    objectDuration: (activeMs / 1000) * p.doDurationGb * p.doDurationPerMillionGbS,
    rowsRead: sql.rowsRead * p.rowsReadPerMillion,
    rowsWritten: sql.rowsWritten * p.rowsWrittenPerMillion,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return {
    total: round(total, 4),
    parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v, 5)])),
  };
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
const selected = (name) => ONLY === undefined || ONLY.includes(name);

for (const tool of ["wrk", "redis-server"]) {
  if (!(await have(tool))) {
    console.error(`${tool} is not on PATH: apt-get install wrk redis-server`);
    process.exit(1);
  }
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
log(`runs: ${SECONDS}s each after ${WARMUP}s warm-up, median of ${REPEATS}\n`);

log("bundling the Worker (wrangler deploy --dry-run)...");
const appBundle = await bundle("app");
const countingBundle = await bundle("counting", "bench/counting-entry.ts");

const state = mkdtempSync(join(os.tmpdir(), "quota-bench-"));
const peerDir = mkdtempSync(join(os.tmpdir(), "quota-bench-redis-"));
const workerd = await startWorkerd(
  [
    appWorker("app", appBundle),
    appWorker("counting", countingBundle),
    {
      name: "floor",
      modules: true,
      scriptPath: join(ROOT, "bench", "floor-worker.mjs"),
      compatibilityDate: COMPAT_DATE,
      durableObjects: {
        NOOP: { className: "NoopObject", useSQLite: true },
        WRITE: { className: "WriteObject", useSQLite: true },
      },
      unsafeDirectSockets: directSocket,
    },
  ],
  state,
  PROFILE !== undefined,
);
let peer;
const cleanup = async () => {
  peer?.stop();
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
  await pool(SPREAD, 16, async (i) => {
    await subscribe(app, `spread-${i}`);
  });
  for (let i = 0; i < SPREAD; i++) spreadTokens[i] = jwt(`spread-${i}`, "service");

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
      peer = await startPeer(peerDir);
      return [peer.url, postScript("peer-redis", spend, jwt("peer", "service"))];
    },
  };

  log("\nmeasuring (wrk)...");
  for (const name of RUNS) {
    if (!selected(name)) continue;
    const [url, script] = await plan[name]();
    for (const c of CONCURRENCIES) {
      const pid = name === "peer-redis" ? undefined : workerd.pid;
      results.runs.push(await measure(name, url, script, c, pid));
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
  settings: { seconds: SECONDS, warmupSeconds: WARMUP, repeats: REPEATS, pinned: PIN },
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
if (t("check", 1) && t("floor-do", 1)) {
  target("check p50 ≤ 1.2× floor-do at c=1", t("check", 1).p50_ms <= 1.2 * t("floor-do", 1).p50_ms);
  target(
    "check ≥ 75 % of floor-do's req/s at c=32",
    t("check", 32).rps >= 0.75 * t("floor-do", 32).rps,
  );
}
if (t("consume-hot", 1) && t("floor-write", 1)) {
  target(
    "consume p50 ≤ 1.25× floor-write at c=1",
    t("consume-hot", 1).p50_ms <= 1.25 * t("floor-write", 1).p50_ms,
  );
  target(
    "consume ≥ 75 % of floor-write's req/s at c=32",
    t("consume-hot", 32).rps >= 0.75 * t("floor-write", 32).rps,
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
  if (ONLY !== undefined || QUICK) {
    log("(--write ignored for a partial or quick run: bench/results.json keeps the full figures)");
  } else {
    copyFileSync(file, committed);
    log(`copied to ${committed}`);
  }
} else if (!existsSync(join(ROOT, "bench", "results.json"))) {
  log("(bench/results.json, the committed figures, is written by `npm run bench -- --write`)");
}
