// Catalogue switches at local scale (docs/catalogue.md, "A switch, measured"), on workerd as
// bench/fleet.mjs runs it: the Worker bundled as deployed, its objects and a local D1 for
// FLEET, state on disk in bench/.out/switch, real time throughout.
//   npm run bench:switch -- [N]        (default 1000)
// 1. Subscribes N workspaces (Pro, 1 seat; every other one pinned to the built-in version) and
//    spends once in each (32 clients).
// 2. Writes SWITCHES versions into the catalogue's D1 table, applying SWITCH_LEAD_MS later and
//    then every SPACING_MS (Pro: 500 more credits a seat each), directly: the publish route's
//    10-minute lead would make the run wait 10 minutes. Then runs the Worker's cron once, which
//    announces the schedule's generation to the due index; the shards tell every workspace from
//    their alarms (the durable fan-out), polled until each is done: the fan-out's time.
// 3. At each instant: every workspace checks once just before it (its known schedule holds: no
//    read), then once right after it (the schedule lapsed: each reads it from D1 once, and the
//    unpinned switch; the pinned ones read and keep their version, which times the read alone),
//    each burst all N at WIDTH in flight. Bursts in between keep every object awake, as traffic
//    would. Every answer after an instant is checked on that version's credits (the pinned ones
//    on the built-in's).
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mintToken } from "../scripts/lib/token.mjs";
import { pool } from "./lib/http.mjs";
import { OUT, ROOT } from "./lib/paths.mjs";
import { sleep } from "./lib/proc.mjs";
import { median, round, summary } from "./lib/stats.mjs";
import { appWorker, bundle, startWorkerd } from "./lib/workerd.mjs";

const N = Number(process.argv[2] ?? 1_000);
/** Clients in flight while subscribing (object creation, as bench/fleet.mjs). */
const SETUP_WIDTH = 32;
/** Clients in flight in each burst of checks. */
const WIDTH = Number(process.env.SWITCH_WIDTH ?? 128);
/** How far ahead of its write the first version applies: room for the fan-out. */
const LEAD_MS = Number(process.env.SWITCH_LEAD_MS ?? 60_000);
/** Switches measured, one version each, this far apart. */
const SWITCHES = Number(process.env.SWITCHES ?? 3);
const SPACING_MS = Number(process.env.SWITCH_SPACING_MS ?? 30_000);
const STATE = join(OUT, "switch");
const MIGRATIONS = join(ROOT, "migrations", "fleet");
const DUE_SHARDS = 16;
/** Between the last burst before an instant and the instant. */
const GAP_MS = 1_000;

const secret = "switch-bench-secret-0123456789abcdef";
rmSync(STATE, { recursive: true, force: true });
const script = await bundle("switch");
const app = appWorker("quota", script, { secret });
app.d1Databases = { FLEET: "quota-fleet" };
const { mf, url } = await startWorkerd([app], { state: STATE });
const base = (await url("quota")).replace(/\/$/, "");
const db = await mf.getD1Database("FLEET", "quota");
for (const file of readdirSync(MIGRATIONS).sort()) {
  const sql = readFileSync(join(MIGRATIONS, file), "utf8").replace(/--.*$/gm, "");
  for (const statement of sql.split(";").map((s) => s.trim())) {
    if (statement !== "") await db.prepare(statement).run();
  }
}

const token = (ws, role) => mintToken(secret, ws, role, 3600);
async function call(ws, method, path, body, role = "platform") {
  const r = await fetch(`${base}/v1/workspaces/${ws}${path}`, {
    method,
    headers: { authorization: `Bearer ${token(ws, role)}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path} for ${ws}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

const run = `switch-${Date.now().toString(36)}`;
const ids = Array.from({ length: N }, (_, i) => `${run}-${i}`);
const pinned = (i) => i % 2 === 1;
const anchor = new Date(Date.now() - 86_400_000).toISOString();
const started = Date.now();
await pool(N, SETUP_WIDTH, async (i) => {
  await call(ids[i], "PUT", "/subscription", {
    plan: "pro",
    seats: 1,
    periodAnchor: anchor,
    ...(pinned(i) && { catalogueVersion: "2026-06" }),
  });
  await call(
    ids[i],
    "POST",
    "/credits/consume",
    { feature: "ai_rewriter", credits: 10 },
    "service",
  );
});
const subscribedSeconds = round((Date.now() - started) / 1000, 1);
console.error(`  ${N} workspaces subscribed in ${subscribedSeconds} s`);

// The versions, straight into the catalogue's table (what publish writes, without its lead).
const inForce = await (
  await fetch(`${base}/v1/catalogue/versions/2026-06`, {
    headers: { authorization: `Bearer ${token("*", "platform")}` },
  })
).json();
const first = Date.now() + LEAD_MS;
const instants = Array.from({ length: SWITCHES }, (_, k) => first + k * SPACING_MS);
for (const [k, at] of instants.entries()) {
  const plans = structuredClone(inForce.plans);
  plans.pro.aiCreditsPerSeat += 500 * (k + 1);
  const version = {
    id: `${run}-v${k + 1}`,
    effectiveAt: new Date(at).toISOString(),
    plans,
    featureCosts: inForce.featureCosts,
  };
  await db
    .prepare(
      `INSERT INTO catalogue_versions (id, body, effective_at, published_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .bind(version.id, JSON.stringify(version), at, Date.now(), Date.now(), Date.now())
    .run();
}

// The cron's announcement, then the shards' alarms until every one is done.
const worker = await mf.getWorker("quota");
const announcedAt = Date.now();
await worker.scheduled({ cron: "* * * * *" });
const dueIndex = await mf.getDurableObjectNamespace("DUE_INDEX", "quota");
const shards = Array.from({ length: DUE_SHARDS }, (_, s) =>
  dueIndex.get(dueIndex.idFromName(`due-${s}`)),
);
let fanOutMs = null;
while (Date.now() < first - 5_000) {
  const states = await Promise.all(shards.map((s) => s.fanOut()));
  if (states.every((s) => s.generation > 0 && s.cursor === null)) {
    fanOutMs = Date.now() - announcedAt;
    break;
  }
  await sleep(100);
}
if (fanOutMs === null) throw new Error("the fan-out did not end before the first instant");
console.error(`  fan-out done in ${fanOutMs} ms`);

/** Every workspace checks once, WIDTH at a time: the burst's wall time and each call's, per half. */
async function burst() {
  const ms = { switching: [], pinned: [] };
  const balances = { switching: new Set(), pinned: new Set() };
  const t0 = performance.now();
  await pool(N, WIDTH, async (i) => {
    const c0 = performance.now();
    const answer = await call(
      ids[i],
      "POST",
      "/credits/check",
      { feature: "ai_rewriter", credits: 1 },
      "service",
    );
    const half = pinned(i) ? "pinned" : "switching";
    ms[half].push(performance.now() - c0);
    balances[half].add(answer.monthlyBalance);
  });
  return {
    seconds: round((performance.now() - t0) / 1000, 2),
    switching: { ...summary(ms.switching, 1), balances: [...balances.switching] },
    pinned: { ...summary(ms.pinned, 1), balances: [...balances.pinned] },
  };
}

const one = (set, balance) => set.length === 1 && set[0] === balance;
const switches = [];
let last = await burst();
const builtIn = last.pinned.balances[0];
for (const [k, at] of instants.entries()) {
  // Awake until just before the instant (workerd lets an idle object go after seconds, and
  // waking 1,000 again would dwarf what is measured); the burst timed before it ends a second
  // ahead of it.
  while (at - Date.now() > 3 * last.seconds * 1000 + 2 * GAP_MS) last = await burst();
  await sleep(Math.max(0, at - Date.now() - 1.5 * last.seconds * 1000 - GAP_MS));
  const before = await burst();
  const valid = Date.now() < at;
  await sleep(Math.max(0, at - Date.now() + 5));
  const after = await burst();
  last = after;
  const checked =
    one(before.pinned.balances, builtIn) &&
    one(after.pinned.balances, builtIn) &&
    one(after.switching.balances, builtIn + 500 * (k + 1));
  if (!checked) throw new Error(`switch ${k + 1}: an answer on the wrong version`);
  // A burst before the instant that ran past it measured reads too: left out.
  switches.push({ valid, before, after });
  console.error(
    `  switch ${k + 1}: ${before.seconds} s before, ${after.seconds} s after${valid ? "" : " (void)"}`,
  );
}

const measured = switches.filter((s) => s.valid);
const result = {
  workspaces: N,
  subscribedSeconds,
  fanOutSeconds: round(fanOutMs / 1000, 2),
  width: WIDTH,
  // Per valid switch, the burst just before the instant and the one right after it.
  burstSeconds: measured.map((s) => [s.before.seconds, s.after.seconds]),
  medianBurstSeconds: {
    before: median(measured.map((s) => s.before.seconds)),
    after: median(measured.map((s) => s.after.seconds)),
  },
  // Per call after the instant, the switching half and the pinned half (which reads, no switch).
  medianP50Ms: {
    before: median(measured.map((s) => s.before.switching.p50Ms)),
    afterSwitching: median(measured.map((s) => s.after.switching.p50Ms)),
    afterPinned: median(measured.map((s) => s.after.pinned.p50Ms)),
  },
  switches,
};
console.log(JSON.stringify(result, null, 2));
await mf.dispose();
if (measured.length === 0) {
  console.error("no switch measured: every burst before an instant ran past it");
  process.exit(1);
}
