// Preflight benchmark: the AI-credit check and consume through the real Worker (wrangler dev on
// workerd, state on disk) against a peer doing the same check-and-debit as a Lua script on a
// local redis-server. Not a test: it prints figures and writes bench/results/preflight.json.
//
//   npm run bench:preflight            (needs redis-server on PATH: apt-get install redis-server)
//
// Every request goes over loopback; loops are bounded in count and time and stop by themselves.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Redis from "ioredis";

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const CONCURRENT_TOTAL = Number(process.env.BENCH_CONCURRENT_TOTAL ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WORKER_PORT = Number(process.env.BENCH_PORT ?? 8799);
const REDIS_PORT = Number(process.env.BENCH_REDIS_PORT ?? 6399);
const SECRET = "bench-secret-0123456789";
const DEADLINE = Date.now() + 10 * 60_000;

function token(ws, role) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ ws, role, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
}

function stats(samplesMs) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    meanMs: +mean.toFixed(3),
    p50Ms: +at(0.5).toFixed(3),
    p99Ms: +at(0.99).toFixed(3),
  };
}

async function sequential(n, op) {
  const samples = [];
  for (let i = 0; i < n && Date.now() < DEADLINE; i++) {
    const t = performance.now();
    await op(i);
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

async function concurrent(total, width, op) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total && Date.now() < DEADLINE) await op(next++);
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  return { requests: next, concurrency: width, perSecond: Math.round(next / seconds) };
}

function waitForOutput(child, pattern, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60 s`)), 60_000);
    const onData = (chunk) => {
      if (pattern.test(String(chunk))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

async function benchWorker() {
  const state = mkdtempSync(join(tmpdir(), "quota-bench-"));
  const child = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev",
      "--port",
      String(WORKER_PORT),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
      "--var",
      `AUTH_SECRET:${SECRET}`,
      "--var",
      "TEST_CLOCKS:off",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  try {
    await Promise.race([
      waitForOutput(child, /Ready on/, "wrangler dev"),
      new Promise((r) => setTimeout(r, 20_000)),
    ]);
    const base = `http://127.0.0.1:${WORKER_PORT}/v1/workspaces/bench`;
    const platform = token("bench", "platform");
    const service = token("bench", "service");
    const send = async (method, path, auth, body) => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    for (let i = 0; ; i++) {
      try {
        await send("PUT", "/subscription", platform, {
          plan: "pro",
          seats: 100,
          periodAnchor: new Date().toISOString(),
          overrides: { aiCreditsPerSeat: 10_000_000 },
        });
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await send("PUT", "/credits/feature-limits/ai_rewriter", platform, { limit: 900_000_000 });
    const spend = { feature: "ai_rewriter", credits: 1 };
    // Warm the isolate and the object before measuring.
    for (let i = 0; i < 50; i++) await send("POST", "/credits/consume", service, spend);
    // What wrangler dev's local proxy and the HTTP client cost on their own: an unknown route,
    // answered by the Worker without auth or a Durable Object.
    const baseline = await sequential(SEQUENTIAL, () =>
      fetch(`http://127.0.0.1:${WORKER_PORT}/nope`).then((r) => r.text()),
    );
    const check = await sequential(SEQUENTIAL, () =>
      send("POST", "/credits/check", service, spend),
    );
    const consume = await sequential(SEQUENTIAL, async () => {
      const d = await send("POST", "/credits/consume", service, spend);
      if (!d.allowed) throw new Error(`refused: ${d.message}`);
    });
    const consumeConcurrent = await concurrent(CONCURRENT_TOTAL, CONCURRENCY, () =>
      send("POST", "/credits/consume", service, spend),
    );
    const credits = await send("GET", "/credits", platform);
    const expectedUsed = 50 + SEQUENTIAL + consumeConcurrent.requests;
    if (credits.used !== expectedUsed) {
      throw new Error(`ledger mismatch: used ${credits.used}, expected ${expectedUsed}`);
    }
    return { baseline, check, consume, consumeConcurrent, usedAfter: credits.used };
  } finally {
    child.kill("SIGTERM");
    rmSync(state, { recursive: true, force: true });
  }
}

// The same decision as the Worker's consume, minus periods, packages, reservations and the
// ledger: the floor any networked counter pays for an atomic check-and-debit.
const LUA_CONSUME = `
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local cap = tonumber(redis.call('GET', KEYS[3]) or '-1')
local fused = tonumber(redis.call('GET', KEYS[4]) or '0')
local c = tonumber(ARGV[1])
if c > balance - used then return 0 end
if cap >= 0 and c > cap - fused then return 0 end
redis.call('INCRBY', KEYS[2], c)
redis.call('INCRBY', KEYS[4], c)
return 1`;

async function benchRedis() {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(REDIS_PORT),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--dir",
      mkdtempSync(join(tmpdir(), "redis-bench-")),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    await waitForOutput(child, /Ready to accept connections/, "redis-server");
    const redis = new Redis({ port: REDIS_PORT, host: "127.0.0.1", lazyConnect: false });
    const keys = ["balance", "used", "cap:ai_rewriter", "used:ai_rewriter"];
    await redis.mset(
      "balance",
      1_000_000_000,
      "used",
      0,
      "cap:ai_rewriter",
      900_000_000,
      "used:ai_rewriter",
      0,
    );
    const sha = await redis.script("LOAD", LUA_CONSUME);
    const consume = async () => {
      if ((await redis.evalsha(sha, keys.length, ...keys, 1)) !== 1) throw new Error("refused");
    };
    for (let i = 0; i < 50; i++) await consume();
    const seq = await sequential(SEQUENTIAL, consume);
    const conc = await concurrent(CONCURRENT_TOTAL, CONCURRENCY, consume);
    await redis.quit();
    return { consume: seq, consumeConcurrent: conc };
  } finally {
    child.kill("SIGTERM");
  }
}

const worker = await benchWorker();
const redis = await benchRedis();
const result = {
  measuredAt: new Date().toISOString(),
  machine: "2 cores, loopback; client and server on the same machine",
  sequentialRequests: SEQUENTIAL,
  worker,
  redis,
};
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/preflight.json", `${JSON.stringify(result, null, 2)}\n`);
console.log(`| path | p50 ms | p99 ms | mean ms | throughput (${CONCURRENCY} in flight) |`);
console.log("|---|---|---|---|---|");
const row = (name, s, t) =>
  console.log(
    `| ${name} | ${s.p50Ms} | ${s.p99Ms} | ${s.meanMs} | ${t ? `${t.perSecond}/s` : "–"} |`,
  );
row("Baseline: unknown route, no auth, no object (wrangler dev proxy + client)", worker.baseline);
row("Worker `credits/check` (HTTP, wrangler dev)", worker.check);
row("Worker `credits/consume` (HTTP, wrangler dev)", worker.consume, worker.consumeConcurrent);
row("Redis peer: Lua check-and-debit (ioredis)", redis.consume, redis.consumeConcurrent);
const net = (s) => (s.p50Ms - worker.baseline.p50Ms).toFixed(2);
console.log(
  `\nNet of the baseline (p50): check ${net(worker.check)} ms, consume ${net(worker.consume)} ms.`,
);
console.log(`\nLedger check: used = ${worker.usedAfter} after every allowed consume (exact).`);
