import { env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { DAY_MS } from "../src/policy/time";
import { LEDGER_RAW_MS } from "../src/workspace/archive";
import type { WorkspaceObject } from "../src/workspace/object";
import "./result";

/**
 * The object's size over three simulated years (issue #19, docs/history.md): a workspace
 * spending every day through its test clock, every day's due work archiving what left the raw
 * window. The object's database size is read every 30 days: it must level off once the raw
 * window is full (62 days), whatever the years; the archive holds the rest. Entries per day are
 * scaled down (BENCH_CAPACITY_PER_DAY, default 100) so the run takes minutes; the bytes per raw
 * entry it measures give the largest workspace's size (docs/history.md, capacity).
 */
const PER_DAY = Number(process.env.BENCH_CAPACITY_PER_DAY ?? 100);
const DAYS = 3 * 365;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const service = { role: "service" as const };
const FEATURES = ["copilot", "ai_rewriter", "ai_summarize", "ai_agent"] as const;

it("three years of daily spending: the object levels off at its raw window", async ({ task }) => {
  const ws = `capacity-${Date.now().toString(36)}`;
  const samples: { day: number; bytes: number; rawEntries: number; rollupRows: number }[] = [];
  const started = performance.now();
  await runInDurableObject(env.WORKSPACE.getByName(ws), async (o: WorkspaceObject, state) => {
    await o.setTestClock(T0);
    await o.putSubscription(
      ws,
      {
        plan: "pro",
        seats: 500,
        periodAnchor: "2026-01-01T00:00:00Z",
        overrides: { aiCreditsPerSeat: 1_000_000 },
      },
      { role: "platform" },
    );
    const sql = state.storage.sql;
    const count = (q: string) => sql.exec<{ n: number }>(q).one().n;
    for (let day = 0; day < DAYS; day++) {
      await o.setTestClock(T0 + day * DAY_MS + 60_000);
      for (let i = 0; i < PER_DAY; i++) {
        const feature = FEATURES[i % FEATURES.length] ?? "copilot";
        const r = await o.consumeCredits({ feature, credits: 1 + (i % 3) }, service);
        if (!r.ok || !r.value.allowed) throw new Error(`day ${day}: refused`);
      }
      if (day % 30 === 29 || day === DAYS - 1) {
        samples.push({
          day: day + 1,
          bytes: sql.databaseSize,
          rawEntries: count("SELECT COUNT(*) AS n FROM credit_ledger"),
          rollupRows: count("SELECT COUNT(*) AS n FROM credit_daily"),
        });
      }
    }
  });
  const seconds = Math.round((performance.now() - started) / 1000);
  const window = Math.ceil(LEDGER_RAW_MS / DAY_MS) + 1;
  const steady = samples.filter((s) => s.day > window + 30);
  const last = samples.at(-1);
  const first = steady[0];
  if (last === undefined || first === undefined) throw new Error("no samples");
  // What the object gains between the first full window and the end is the roll-ups' rows;
  // the full window's size per raw entry is what a busier workspace multiplies.
  const rollupBytesPerRow = Math.round(
    (last.bytes - first.bytes) / Math.max(1, last.rollupRows - first.rollupRows),
  );
  const bytesPerEntry = Math.round(first.bytes / first.rawEntries);
  task.meta.bench = {
    name: "capacity",
    title: `Object size over ${DAYS} simulated days at ${PER_DAY} consumes a day (${seconds} s)`,
    write: PER_DAY === 100,
    table: samples.map((s) => ({
      day: s.day,
      mib: (s.bytes / 2 ** 20).toFixed(2),
      rawEntries: s.rawEntries,
      rollupRows: s.rollupRows,
    })),
    data: {
      perDay: PER_DAY,
      days: DAYS,
      windowDays: window,
      bytesPerEntry,
      rollupBytesPerRow,
      samples,
    },
  };
  // Levelled off: the raw ledger holds at most the window's days, and the object grows only by
  // its roll-ups (a row per day, period, kind and feature, kept 10 years by design).
  expect(last.rawEntries).toBeLessThanOrEqual((window + 1) * PER_DAY);
  expect(rollupBytesPerRow).toBeLessThan(256);
});
