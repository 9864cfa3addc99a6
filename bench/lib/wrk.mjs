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
  const socketErrors = /Socket errors:.*/.exec(out)?.[0];
  if (non2xx > 0 || socketErrors) {
    throw new Error(`wrk ${url}: ${non2xx} non-2xx answers ${socketErrors ?? ""}\n${out}`);
  }
  return { rps, p50, p99, requests };
}

/** Warm-up, then the median of `repeats` runs; with `pid`, the server's CPU per request. */
export async function measure(name, url, script, connections, pid, { warmup, repeats, seconds }) {
  await wrk(url, script, connections, warmup);
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const before = pid === undefined ? undefined : cpuMs(pid);
    const r = await wrk(url, script, connections, seconds);
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
