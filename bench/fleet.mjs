// The fleet index at local scale, on workerd without the development proxy (docs/fleet.md,
// "Scale"): the Worker bundled as deployed, with its objects and a local D1 for FLEET (its
// migrations applied first), state on disk in bench/.out/fleet. Subscribes N workspaces and
// spends once in each (32 clients), each workspace's object reporting from its own alarm as in
// production; then waits until every workspace is in the index and times the platform's reads
// on the full index.
//   npm run bench:fleet -- [N]          (default 10000)
//   FLEET_URL=http://127.0.0.1:8787 npm run bench:fleet -- 1000     against `npm start` instead
//   FLEET_REUSE=1 npm run bench:fleet -- 0    the reads alone, on the index a previous run left
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { mintToken } from "../scripts/lib/token.mjs";
import { pool } from "./lib/http.mjs";
import { OUT, ROOT } from "./lib/paths.mjs";
import { sleep } from "./lib/proc.mjs";
import { median, round } from "./lib/stats.mjs";
import { appWorker, bundle, startWorkerd } from "./lib/workerd.mjs";

const N = Number(process.argv[2] ?? 10_000);
/** Clients in flight: the bench's width for object creation (bench/run.mjs touches 32 at a time). */
const WIDTH = 32;
/** Give up waiting for the index after this long with no new row. */
const STALL_MS = Number(process.env.FLEET_STALL_MS ?? 120_000);
const STATE = join(OUT, "fleet");
const MIGRATIONS = join(ROOT, "migrations", "fleet");

let base = process.env.FLEET_URL;
let secret = process.env.AUTH_SECRET;
const REUSE = process.env.FLEET_REUSE === "1";
let mf;
if (base === undefined) {
  secret = "fleet-bench-secret-0123456789abcdef";
  if (!REUSE) rmSync(STATE, { recursive: true, force: true });
  const script = await bundle("fleet");
  const worker = appWorker("quota", script, { secret });
  worker.d1Databases = { FLEET: "quota-fleet" };
  const started = await startWorkerd([worker], { state: STATE });
  mf = started.mf;
  base = await started.url("quota");
  const db = await mf.getD1Database("FLEET", "quota");
  for (const file of REUSE ? [] : readdirSync(MIGRATIONS).sort()) {
    const sql = readFileSync(join(MIGRATIONS, file), "utf8").replace(/--.*$/gm, "");
    for (const statement of sql.split(";").map((s) => s.trim())) {
      if (statement !== "") await db.prepare(statement).run();
    }
  }
} else {
  secret ??= /^AUTH_SECRET=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1];
}
base = base.replace(/\/$/, "");

const token = (ws, role) => mintToken(secret, ws, role, 3600);
const platform = token("*", "platform");
async function call(ws, method, path, body, role = "platform") {
  const r = await fetch(`${base}/v1/workspaces/${ws}${path}`, {
    method,
    headers: { authorization: `Bearer ${token(ws, role)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path} for ${ws}: ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}
async function fleet(path) {
  const t0 = performance.now();
  const r = await fetch(`${base}/v1/fleet/${path}`, {
    headers: { authorization: `Bearer ${platform}` },
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`GET /v1/fleet/${path}: ${r.status} ${JSON.stringify(body)}`);
  return { body, ms: performance.now() - t0 };
}

const run = `bench-${Date.now().toString(36)}`;
const anchor = new Date(Date.now() - 86_400_000).toISOString();
const before = (await fleet("summary")).body.workspaces;
const beforeAllowed = (
  await fleet(`decisions?from=${new Date(Date.now() - 3_600_000).toISOString()}`)
).body.totals.allowed;
const started = Date.now();
const callMs = [];
await pool(N, WIDTH, async (i) => {
  const ws = `${run}-${i}`;
  const t0 = performance.now();
  await call(ws, "PUT", "/subscription", { plan: "pro", seats: 1, periodAnchor: anchor });
  await call(ws, "POST", "/credits/consume", { feature: "ai_rewriter", credits: 10 }, "service");
  callMs.push((performance.now() - t0) / 2);
  if ((i + 1) % 1000 === 0) {
    console.error(
      `  ${i + 1} workspaces subscribed, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }
});
const called = Date.now();

// Every row first (a subscription is a change of standing: reported at once), then every
// decision (counted with the next report, at most a minute later: docs/fleet.md).
const since = new Date(started - 3_600_000).toISOString();
let indexed = 0;
let counted = 0;
let rowsAt = null;
let lastGrowth = Date.now();
while (counted < N) {
  const rows = (await fleet("summary")).body.workspaces - before;
  const allowed = (await fleet(`decisions?from=${since}`)).body.totals.allowed - beforeAllowed;
  if (rows > indexed || allowed > counted) lastGrowth = Date.now();
  indexed = rows;
  counted = allowed;
  if (indexed >= N && rowsAt === null) rowsAt = Date.now();
  if (Date.now() - lastGrowth > STALL_MS) break;
  await sleep(250);
}
const done = Date.now();

// The platform's reads on the full index, five times each (the first warms the query plans).
const reads = {
  summary: "summary",
  "workspaces?sort=percent": "workspaces?sort=percent&pageSize=500",
  "workspaces?plan=pro": "workspaces?plan=pro&pageSize=500",
  "decisions (24 h)": `decisions?from=${new Date(Date.now() - 86_400_000).toISOString()}`,
};
const readMs = {};
for (const [name, path] of Object.entries(reads)) {
  const samples = [];
  for (let k = 0; k < 5; k++) samples.push((await fleet(path)).ms);
  readMs[name] = round(median(samples.slice(1)), 1);
}

// The catalogue's impact preview on the full index (docs/catalogue.md): a draft that halves
// Pro's credits a seat, previewed as JSON and as the full CSV, five times each.
async function platformCall(method, path, body) {
  const t0 = performance.now();
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return { text, ms: performance.now() - t0 };
}
const inForce = JSON.parse((await platformCall("GET", "/v1/catalogue/versions/2026-06")).text);
const draftId = `bench-${run}`;
const plans = structuredClone(inForce.plans);
plans.pro.aiCreditsPerSeat = Math.floor(plans.pro.aiCreditsPerSeat / 2);
await platformCall("PUT", `/v1/catalogue/versions/${draftId}`, {
  plans,
  featureCosts: inForce.featureCosts,
});
for (const [name, query] of [
  ["preview", ""],
  ["preview (csv)", "?format=csv"],
]) {
  const samples = [];
  let bytes = 0;
  for (let k = 0; k < 5; k++) {
    const { text, ms } = await platformCall(
      "POST",
      `/v1/catalogue/versions/${draftId}/preview${query}`,
      {},
    );
    samples.push(ms);
    bytes = text.length;
  }
  readMs[name] = round(median(samples.slice(1)), 1);
  readMs[`${name} bytes`] = bytes;
}
await platformCall("DELETE", `/v1/catalogue/versions/${draftId}`);

const seconds = (ms) => round(ms / 1000, 1);
const d1Bytes =
  mf === undefined
    ? null
    : readdirSync(join(STATE, "d1"), { recursive: true })
        .map((f) => join(STATE, "d1", f))
        .filter((f) => f.endsWith(".sqlite"))
        .reduce((sum, f) => sum + statSync(f).size, 0);
const result = {
  workspaces: N,
  indexed,
  callSeconds: seconds(called - started),
  callsPerSecond: Math.round((2 * N * 1000) / (called - started)),
  callP50Ms: round(median(callMs), 1),
  rowsIndexedSecondsAfterLastCall: rowsAt === null ? null : seconds(rowsAt - called),
  decisionsCountedSecondsAfterLastCall: seconds(done - called),
  // Two reports per workspace: the subscription's at once, the consume's decision later.
  reportsPerSecond: Math.round((2 * indexed * 1000) / (done - started)),
  readMs,
  d1MiB: d1Bytes === null ? null : round(d1Bytes / 2 ** 20, 1),
  // Every consume was allowed and counted once, with its workspace's report.
  allowedCounted: counted,
};
console.log(JSON.stringify(result, null, 2));
await mf?.dispose();
if (indexed < N || counted !== N) {
  console.error(`${indexed} of ${N} workspaces reached the index, ${counted} decisions counted`);
  process.exit(1);
}
