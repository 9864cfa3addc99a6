// Bulk import benchmark: loading a million leads into one workspace by batches of 1,000 over
// HTTP, next to the per-entity route. The Worker runs on workerd through Miniflare's API (bundled
// by `wrangler deploy --dry-run` as deployed, SQLite-backed objects on disk in a temporary
// directory, its direct socket); the client is this process, over loopback. Not a test: it
// prints figures and writes bench/.out/import.json (with --write, bench/results/import.json).
//
//   npm run bench:import
//   BENCH_IMPORT_LEADS=200000 npm run bench:import     (a smaller run)
//
// Bounded: every loop stops at its count or at the deadline (BENCH_IMPORT_MINUTES, default 20),
// and the figures say how far it got.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { mintToken } from "../scripts/lib/token.mjs";
import { call } from "./lib/http.mjs";
import { ROOT } from "./lib/paths.mjs";
import { summary as stats } from "./lib/stats.mjs";
import { appWorker, bundle, startWorkerd } from "./lib/workerd.mjs";

const LEADS = Number(process.env.BENCH_IMPORT_LEADS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_IMPORT_BATCH ?? 1_000);
const SINGLES = Number(process.env.BENCH_IMPORT_SINGLES ?? 5_000);
const SINGLE_CONCURRENCY = Number(process.env.BENCH_IMPORT_CONCURRENCY ?? 8);
const LOOKUPS = Number(process.env.BENCH_IMPORT_LOOKUPS ?? 200);
const ENFORCE_LEADS = Number(process.env.BENCH_IMPORT_ENFORCE ?? 100_000);
const ENFORCE_LIMIT = 5_000;
const DEADLINE = Date.now() + Number(process.env.BENCH_IMPORT_MINUTES ?? 20) * 60_000;
const SECRET = "bench-secret-0123456789";

const token = (ws, role) => mintToken(SECRET, ws, role, 6 * 3600);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "quota-import-"));
  const { mf, url: urlOf } = await startWorkerd(
    // Test clocks serve the enforcement section only; the other workspaces run on real time.
    [appWorker("app", await bundle("import"), { secret: SECRET, testClocks: "on" })],
    { state: join(dir, "state") },
  );
  try {
    const url = await urlOf("app");
    const send = (ws, method, path, role, body) =>
      call(url, method, `/v1/workspaces/${ws}${path}`, token(ws, role), body);
    // Pro with 100 seats: 1,000,000 leads, so the last lead of the import reaches the limit.
    const subscription = { plan: "pro", seats: 100, periodAnchor: new Date().toISOString() };

    // 1. The bulk path: batches of 1,000 ids, one after the other.
    await send("import", "PUT", "/subscription", "platform", subscription);
    const batches = [];
    let imported = 0;
    let last;
    const started = performance.now();
    while (imported < LEADS && Date.now() < DEADLINE) {
      const size = Math.min(BATCH, LEADS - imported);
      const ids = Array.from({ length: size }, (_, n) => `lead-${imported + n}`);
      const t = performance.now();
      last = await send("import", "POST", "/entities/leads/batch", "service", { ids });
      batches.push(performance.now() - t);
      if (last.created !== size) throw new Error(`batch at ${imported}: created ${last.created}`);
      imported += size;
      if (batches.length % 100 === 0) {
        const s = stats(batches.slice(-100));
        console.log(`${imported.toLocaleString("en")} leads, last 100 batches p50 ${s.p50Ms} ms`);
      }
    }
    const importSeconds = (performance.now() - started) / 1000;
    const usage = (await send("import", "GET", "/usage", "viewer")).leads;

    // 2. Lookups of 1,000 ids in the full workspace (the CRM marking a page of leads).
    const lookups = [];
    for (let i = 0; i < LOOKUPS && Date.now() < DEADLINE; i++) {
      const from = (i * 7_919) % Math.max(1, imported - 1_000);
      const ids = Array.from({ length: 1_000 }, (_, n) => `lead-${from + n}`);
      const t = performance.now();
      await send("import", "POST", "/entities/leads/lookup", "viewer", { ids });
      lookups.push(performance.now() - t);
    }

    // 3. The per-entity route for comparison, into a second workspace.
    await send("singles", "PUT", "/subscription", "platform", subscription);
    const singles = [];
    let next = 0;
    const singleStarted = performance.now();
    await Promise.all(
      Array.from({ length: SINGLE_CONCURRENCY }, async () => {
        while (next < SINGLES && Date.now() < DEADLINE) {
          const id = `lead-${next++}`;
          const t = performance.now();
          await send("singles", "POST", "/entities/leads", "service", { id });
          singles.push(performance.now() - t);
        }
      }),
    );
    const singleSeconds = (performance.now() - singleStarted) / 1000;
    const singlePerSecond = singles.length / singleSeconds;

    // 4. Enforcing a large excess: ENFORCE_LEADS imported during a grace on a limit of 5,000,
    // then the grace ends. Every answer is exact at once; the blocks are stored 1,000 per pool
    // per call (here each PUT test-clock runs the due work once, as an alarm would).
    const T0 = "2026-07-01T00:00:00.000Z";
    await send("enforce", "PUT", "/test-clock", "platform", { now: T0 });
    await send("enforce", "PUT", "/subscription", "platform", {
      plan: "pro",
      seats: 1,
      periodAnchor: T0,
      overrides: { leadsPerSeat: ENFORCE_LIMIT },
    });
    for (let from = 0; from < ENFORCE_LEADS && Date.now() < DEADLINE; from += BATCH) {
      const ids = Array.from(
        { length: Math.min(BATCH, ENFORCE_LEADS - from) },
        (_, n) => `e-${from + n}`,
      );
      await send("enforce", "POST", "/entities/leads/batch", "service", { ids });
    }
    const after = "2026-07-02T00:00:00.000Z";
    const dueRuns = [];
    let enforcedUsage;
    const enforceStarted = performance.now();
    // One batch of 1,000 blocks per run: the runs an alarm would make, back to back.
    const runs = Math.ceil((ENFORCE_LEADS - ENFORCE_LIMIT) / 1_000);
    for (let run = 0; run < runs && Date.now() < DEADLINE; run++) {
      const t = performance.now();
      await send("enforce", "PUT", "/test-clock", "platform", { now: after });
      dueRuns.push(performance.now() - t);
      if (run === 0) enforcedUsage = (await send("enforce", "GET", "/usage", "viewer")).leads;
    }
    const enforceSeconds = (performance.now() - enforceStarted) / 1000;

    const result = {
      measuredAt: new Date().toISOString(),
      machine: "2 cores shared, loopback; client and Miniflare (workerd) on the same machine",
      runtime: "workerd through Miniflare's API, SQLite-backed Durable Objects on disk",
      bulk: {
        leads: imported,
        batchSize: BATCH,
        totalSeconds: +importSeconds.toFixed(1),
        leadsPerSecond: Math.round(imported / importSeconds),
        perBatch: stats(batches),
        finalUsage: usage,
        reachedLimitAtLastLead: last?.entities.at(-1)?.grace !== undefined,
      },
      lookup: { idsPerCall: 1_000, perCall: lookups.length > 0 ? stats(lookups) : null },
      perEntityRoute: {
        requests: singles.length,
        concurrency: SINGLE_CONCURRENCY,
        perSecond: Math.round(singlePerSecond),
        perRequest: stats(singles),
        projectedSecondsForImport: Math.round(imported / singlePerSecond),
      },
      enforcement: {
        leads: ENFORCE_LEADS,
        limit: ENFORCE_LIMIT,
        usageRightAfterGraceEnd: enforcedUsage,
        dueWorkRuns: dueRuns.length,
        perRun: dueRuns.length > 0 ? stats(dueRuns) : null,
        totalSeconds: +enforceSeconds.toFixed(1),
      },
      complete: imported === LEADS,
    };
    console.log(JSON.stringify(result, null, 2));
    // Figures go to the ignored bench/.out/; the committed bench/results/ only when asked, so a
    // run never dirties the work tree.
    const dir = process.argv.includes("--write") ? "bench/results" : "bench/.out";
    mkdirSync(join(ROOT, dir), { recursive: true });
    writeFileSync(join(ROOT, dir, "import.json"), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
