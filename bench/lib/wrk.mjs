// wrk, the load of `npm run bench`: the Lua scripts it runs, one run, and a measured figure.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OUT } from "./paths.mjs";
import { CLIENT_CPU, cpuMs, pinned, run } from "./proc.mjs";
import { median, round } from "./stats.mjs";

const log = (...a) => console.log(...a);

function luaString(s) {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A wrk script posting one JSON body with a bearer token (or none). */
export function postScript(name, body, token) {
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
export function spreadScript(tokens) {
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
export function reserveCommitScript(token) {
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
export async function wrk(url, script, connections, seconds) {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url];
  const [cmd, full] = pinned("wrk", args, CLIENT_CPU);
  const out = await run(cmd, full);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = duration(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = duration(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    out,
  );
  const [connect, read, write, timeouts] = (socketErrors?.slice(1) ?? [0, 0, 0, 0]).map(Number);
  // A wrong answer or a broken socket stops the bench. A request slower than wrk's 2 s timeout
  // (the host stalled: a run once took 14.8 s for its 10) is counted and printed, not fatal:
  // its figures are still honest, and the run's p99 and duration show the stall.
  if (non2xx > 0 || connect + read + write > 0) {
    throw new Error(`wrk ${url}: ${non2xx} non-2xx answers ${socketErrors?.[0] ?? ""}\n${out}`);
  }
  if (timeouts > 0) log(`  (wrk: ${timeouts} of ${requests} requests over 2 s on ${url})`);
  return { rps, p50, p99, requests, timeouts };
}

/** Warm-up, then the median of `repeats` runs; with `pid`, the server's CPU per request. */
/** One timed wrk run, with workerd's CPU per request over it when `pid` is given. */
async function sample(url, script, connections, pid, seconds) {
  const before = pid === undefined ? undefined : cpuMs(pid);
  const r = await wrk(url, script, connections, seconds);
  const after = pid === undefined ? undefined : cpuMs(pid);
  const cpu = after && before ? (after.total - before.total) / r.requests : Number.NaN;
  const sys = after && before ? (after.system - before.system) / r.requests : Number.NaN;
  return { ...r, cpu, sys };
}

/** A run's figure: the median of its samples, printed as one line. */
function figure(name, connections, runs) {
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

export async function measure(name, url, script, connections, pid, { warmup, repeats, seconds }) {
  await wrk(url, script, connections, warmup);
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await sample(url, script, connections, pid, seconds));
  return figure(name, connections, runs);
}

/**
 * Two runs measured in turns (a b, b a, a b, …) after a warm-up of each, so that the machine's drift
 * over minutes falls on both alike: on this 2-core host a floor's p50 moved by 2× between runs
 * of one morning, which made a ratio of figures taken minutes apart say more about the host than
 * about the code (docs/benchmarks.md, "Paired ratios"). Each side may open and close what it
 * needs around its turns (`before`, `after`: the live sockets). Answers both figures and the
 * medians of the per-turn ratios b / a.
 */
export async function measurePair(a, b, connections, pid, { warmup, repeats, seconds }) {
  const turn = async (side, secs, timed) => {
    await side.before?.();
    try {
      return timed
        ? await sample(side.url, side.script, connections, pid, secs)
        : await wrk(side.url, side.script, connections, secs);
    } finally {
      await side.after?.();
    }
  };
  await turn(a, warmup, false);
  await turn(b, warmup, false);
  const turns = { a: [], b: [] };
  // a b, b a, a b, …: whichever side goes first in a pair alternates, so a trend within the
  // pair (the host warming, another job starting) does not always fall on the same side.
  for (let i = 0; i < repeats; i++) {
    if (i % 2 === 0) {
      turns.a.push(await turn(a, seconds, true));
      turns.b.push(await turn(b, seconds, true));
    } else {
      turns.b.push(await turn(b, seconds, true));
      turns.a.push(await turn(a, seconds, true));
    }
  }
  const ratio = (f) => round(median(turns.a.map((ra, i) => f(turns.b[i]) / f(ra))), 3);
  return {
    a: figure(`${a.name}`, connections, turns.a),
    b: figure(`${b.name}`, connections, turns.b),
    p50Ratio: ratio((r) => r.p50),
    rpsRatio: ratio((r) => r.rps),
    cpuRatio: ratio((r) => r.cpu),
  };
}
