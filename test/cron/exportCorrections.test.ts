import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { writeDueExports } from "../../src/cron/exports";
import {
  dayName,
  EXPORT_DELAY_MS,
  EXPORT_FIGURES_RETENTION_MS,
  exportKey,
  exportName,
} from "../../src/policy/exports";
import { statementLines } from "../../src/policy/statementCsv";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/policy/time";
import type { Statement } from "../../src/workspace/archive/statements";
import type { CallMeta } from "../../src/workspace/context";
import { exportStatements } from "../../src/workspace/fleetExports";
import { WorkspaceObject } from "../../src/workspace/object";
import {
  creditLines,
  exportManifest,
  exportText,
  ledgerSums,
  parseCsv,
  summedCredits,
} from "../support/exports";
import { api, call, freezeTime, freshWorkspace } from "../support/helpers";

/**
 * The finance exports' correction files (docs/history.md#late-figures-correction-files): a
 * report that lands after its day's file reaches finance in `{kind}-{day}.correction-{n}.csv`,
 * exactly the late delta (credits) or the whole late statement, written once; the day's file and
 * its corrections add up to the ledger; a rerun, a crash on either side of the R2 write, and a
 * day with nothing late write no line twice and lose none; corrections are bounded like the day
 * files (files per run, pages, the figures' retention).
 */

/** Every file due in one run (the cron writes one a minute). */
const ALL = { filesPerRun: 6 };
const service: CallMeta = { role: "service" };
const platform: CallMeta = { role: "platform" };
const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);
const db = () => env.FLEET as D1Database;
/** The day files' cron run for `day`: D+1 00:15 UTC, and `minutes` later. */
const dueAt = (day: number, minutes = 0) => day + DAY_MS + EXPORT_DELAY_MS + minutes * MINUTE_MS;

async function subscribed(ws: string, at: number, periodAnchor: string) {
  const stub = stubOf(ws);
  expect(await stub.setTestClock(at)).toMatchObject({ ok: true });
  const sub = await stub.putSubscription(ws, { plan: "pro", seats: 1, periodAnchor }, platform);
  expect(sub.ok).toBe(true);
}

/** Spends at `at` on the workspace's clock; no report goes (the test sends it, or not). */
async function spend(ws: string, at: number, spends: [string, number][]) {
  const stub = stubOf(ws);
  expect(await stub.setTestClock(at)).toMatchObject({ ok: true });
  for (const [feature, credits] of spends) {
    const r = await stub.consumeCredits({ feature: feature as "copilot", credits }, service);
    expect(r).toMatchObject({ ok: true, value: { allowed: true } });
  }
}

const lines = (entries: [string, number][]) => new Map(entries);

/** The day files a first run writes at `day`'s due time: that day's and the two before. */
const dayFiles = (day: number) =>
  [day, day - DAY_MS, day - 2 * DAY_MS].flatMap((d) => [
    exportName("credits", d),
    exportName("statements", d),
  ]);

/** The listed files of a day (GET /v1/exports), as the route answers them. */
async function listed(kind: "credits" | "statements", day: number) {
  const r = await call("GET", `/v1/exports?kind=${kind}&limit=100`);
  expect(r.status).toBe(200);
  return (r.json.exports as { key: string; day: string }[]).filter((e) => e.day === dayName(day));
}

/** A D1 whose statements matching `sql` throw once when run: D1 unreachable for one write. */
function failingOnce(real: D1Database, sql: string): D1Database {
  let left = 1;
  return {
    prepare(query: string) {
      const statement = real.prepare(query);
      if (!query.includes(sql)) return statement;
      return {
        bind: (...values: unknown[]) => {
          const bound = statement.bind(...values);
          return {
            run: async () => {
              if (left-- > 0) throw new Error("D1 unreachable");
              return bound.run();
            },
          };
        },
      };
    },
    batch: (statements: D1PreparedStatement[]) => real.batch(statements),
  } as unknown as D1Database;
}

/** An R2 bucket whose put of `key` throws once: the run stops before the file is whole. */
function failingPut(real: R2Bucket, key: string): R2Bucket {
  let left = 1;
  return new Proxy(real, {
    get(target, property) {
      if (property === "put") {
        return async (...args: Parameters<R2Bucket["put"]>) => {
          if (args[0] === key && left-- > 0) throw new Error("R2 unreachable");
          return target.put(...args);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Runs `fn` with console.error silenced (the failed runs log, as they should). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    return await fn();
  } finally {
    log.mockRestore();
  }
}

describe("the finance exports' correction files", () => {
  freezeTime();

  it("carry exactly the late delta, add up to the ledger, and are written once, numbered in turn", async () => {
    const D = Date.parse("2031-08-04T00:00:00Z");
    const onTime = freshWorkspace("cor-on");
    const late = freshWorkspace("cor-late");
    const wss = [onTime, late];
    const day = dayName(D);
    for (const ws of wss) await subscribed(ws, D + 8 * HOUR_MS, "2031-08-01T00:00:00Z");
    await spend(onTime, D + 9 * HOUR_MS, [
      ["copilot", 4],
      ["ai_rewriter", 2],
    ]);
    expect(await stubOf(onTime).reportToFleet()).toBe(true);
    // The late one spends and cannot reach the index for the whole window.
    await spend(late, D + 10 * HOUR_MS, [
      ["copilot", 7],
      ["ai_summarize", 3],
    ]);

    expect(await writeDueExports(env, dueAt(D), ALL)).toEqual({
      written: dayFiles(D),
      failed: [],
    });
    expect(await creditLines(exportName("credits", D), wss)).toEqual(
      lines([
        [`${onTime}|${day}|ai_rewriter`, 2],
        [`${onTime}|${day}|copilot`, 4],
      ]),
    );
    // Nothing late: no correction file.
    expect(await writeDueExports(env, dueAt(D, 1), ALL)).toEqual({ written: [], failed: [] });

    // Its report lands after the day's file: correction 1 holds exactly what it lacked.
    expect(await stubOf(late).reportToFleet()).toBe(true);
    expect(await writeDueExports(env, dueAt(D, 2), ALL)).toEqual({
      written: [exportName("credits", D, 1)],
      failed: [],
    });
    expect(await creditLines(exportName("credits", D, 1), wss)).toEqual(
      lines([
        [`${late}|${day}|ai_summarize`, 3],
        [`${late}|${day}|copilot`, 7],
      ]),
    );
    const once = [exportName("credits", D), exportName("credits", D, 1)];
    expect(await summedCredits(once, wss)).toEqual(await ledgerSums(wss));
    // A rerun writes nothing.
    expect(await writeDueExports(env, dueAt(D, 3), ALL)).toEqual({ written: [], failed: [] });

    // More of day D arrives late, from both (the on-time one's copilot is on the day's file
    // too): correction 2 holds the new delta only, added to the lines before.
    await spend(late, D + 11 * HOUR_MS, [["copilot", 5]]);
    await spend(onTime, D + 12 * HOUR_MS, [["copilot", 1]]);
    for (const ws of wss) expect(await stubOf(ws).reportToFleet()).toBe(true);
    expect(await writeDueExports(env, dueAt(D, 4), ALL)).toEqual({
      written: [exportName("credits", D, 2)],
      failed: [],
    });
    expect(await creditLines(exportName("credits", D, 2), wss)).toEqual(
      lines([
        [`${late}|${day}|copilot`, 5],
        [`${onTime}|${day}|copilot`, 1],
      ]),
    );
    const all = [...once, exportName("credits", D, 2)];
    expect(await summedCredits(all, wss)).toEqual(await ledgerSums(wss));
    expect(await writeDueExports(env, dueAt(D, 5), ALL)).toEqual({ written: [], failed: [] });

    // Listed after their day's file, in order, naming it; no statements correction (none late).
    expect(await listed("credits", D)).toEqual(
      all.map((key, correction) => ({
        key,
        kind: "credits",
        day,
        correction,
        correctsKey: correction === 0 ? null : exportName("credits", D),
        rows: expect.any(Number),
        bytes: expect.any(Number),
        sha256: expect.any(String),
        writtenAt: expect.any(String),
      })),
    );
    expect((await listed("statements", D)).map((e) => e.key)).toEqual([
      exportName("statements", D),
    ]);
    expect(await exportManifest(exportName("credits", D, 2))).toMatchObject({
      key: exportName("credits", D, 2),
      correction: 2,
      correctsKey: exportName("credits", D),
      rows: 2,
    });
  });

  it("a crash between a correction's manifest and its mark in D1 writes it no second time", async () => {
    const F = Date.parse("2031-09-20T00:00:00Z");
    const ws = freshWorkspace("cor-mark");
    const day = dayName(F);
    await subscribed(ws, F + 8 * HOUR_MS, "2031-09-01T00:00:00Z");
    await spend(ws, F + 9 * HOUR_MS, [["copilot", 4]]);
    expect(await stubOf(ws).reportToFleet()).toBe(true);
    expect((await writeDueExports(env, dueAt(F), ALL)).written).toEqual(dayFiles(F));

    await spend(ws, F + 10 * HOUR_MS, [["copilot", 6]]);
    expect(await stubOf(ws).reportToFleet()).toBe(true);
    // The file and its manifest are written; D1 cannot be told.
    const cut = { ...env, FLEET: failingOnce(db(), "listed = excluded.listed") };
    expect(await quietly(() => writeDueExports(cut, dueAt(F, 1), ALL))).toEqual({
      written: [],
      failed: [exportName("credits", F, 1)],
    });
    const first = await exportText(exportName("credits", F, 1));
    expect(await creditLines(exportName("credits", F, 1), [ws])).toEqual(
      lines([[`${ws}|${day}|copilot`, 6]]),
    );
    // Meanwhile another late report: it goes to correction 2, never into 1's figures.
    await spend(ws, F + 11 * HOUR_MS, [["copilot", 2]]);
    expect(await stubOf(ws).reportToFleet()).toBe(true);

    // The next run finds 1 listed (marks it, writes it no second time), then writes 2.
    expect(await writeDueExports(env, dueAt(F, 2), ALL)).toEqual({
      written: [exportName("credits", F, 2)],
      failed: [],
    });
    expect(await exportText(exportName("credits", F, 1))).toBe(first);
    expect(await creditLines(exportName("credits", F, 2), [ws])).toEqual(
      lines([[`${ws}|${day}|copilot`, 2]]),
    );
    const names = [0, 1, 2].map((n) => exportName("credits", F, n));
    expect((await listed("credits", F)).map((e) => e.key)).toEqual(names);
    expect(await summedCredits(names, [ws])).toEqual(await ledgerSums([ws]));
    expect(await writeDueExports(env, dueAt(F, 3), ALL)).toEqual({ written: [], failed: [] });
  });

  it("a crash between closing a correction and its file writes the same lines next run", async () => {
    const G = Date.parse("2031-11-02T00:00:00Z");
    const ws = freshWorkspace("cor-put");
    const day = dayName(G);
    await subscribed(ws, G + 8 * HOUR_MS, "2031-11-01T00:00:00Z");
    await spend(ws, G + 9 * HOUR_MS, [["ai_summarize", 5]]);
    expect(await stubOf(ws).reportToFleet()).toBe(true);
    expect((await writeDueExports(env, dueAt(G), ALL)).written).toEqual(dayFiles(G));

    await spend(ws, G + 10 * HOUR_MS, [["ai_summarize", 3]]);
    expect(await stubOf(ws).reportToFleet()).toBe(true);
    // Correction 1 is closed in D1, then its file cannot be written.
    const cut = {
      ...env,
      ARCHIVE: failingPut(env.ARCHIVE, exportKey(exportName("credits", G, 1))),
    };
    expect(await quietly(() => writeDueExports(cut, dueAt(G, 1), ALL))).toEqual({
      written: [],
      failed: [exportName("credits", G, 1)],
    });
    expect(await exportText(exportName("credits", G, 1))).toBeNull();
    expect(await listed("credits", G)).toHaveLength(1);
    // A late report meanwhile waits for correction 2.
    await spend(ws, G + 11 * HOUR_MS, [["ai_summarize", 1]]);
    expect(await stubOf(ws).reportToFleet()).toBe(true);

    expect(await writeDueExports(env, dueAt(G, 2), ALL)).toEqual({
      written: [exportName("credits", G, 1)],
      failed: [],
    });
    expect(await creditLines(exportName("credits", G, 1), [ws])).toEqual(
      lines([[`${ws}|${day}|ai_summarize`, 3]]),
    );
    expect(await writeDueExports(env, dueAt(G, 3), ALL)).toEqual({
      written: [exportName("credits", G, 2)],
      failed: [],
    });
    expect(await creditLines(exportName("credits", G, 2), [ws])).toEqual(
      lines([[`${ws}|${day}|ai_summarize`, 1]]),
    );
    const names = [0, 1, 2].map((n) => exportName("credits", G, n));
    expect(await summedCredits(names, [ws])).toEqual(await ledgerSums([ws]));
  });

  it("a statement that arrives after its day's file is corrected whole; a resend adds nothing", async () => {
    const S = Date.parse("2032-01-11T00:00:00Z");
    const ws = freshWorkspace("cor-stmt");
    const stub = stubOf(ws);
    const periodStart = "2031-12-11T00:00:00.000Z";
    // A workspace that cannot reach the index: it spends on S-1, its period closes at S.
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      const offline = new WorkspaceObject(state, { ...env, FLEET: undefined });
      await offline.setTestClock(S - DAY_MS + 8 * HOUR_MS);
      const sub = { plan: "pro", seats: 1, periodAnchor: "2031-12-11T00:00:00Z" } as const;
      expect((await offline.putSubscription(ws, sub, platform)).ok).toBe(true);
      await offline.setTestClock(S - DAY_MS + 9 * HOUR_MS);
      expect((await offline.consumeCredits({ feature: "copilot", credits: 9 }, service)).ok).toBe(
        true,
      );
      await offline.setTestClock(S + 5 * MINUTE_MS);
    });
    const days = [S - DAY_MS, S];
    const run = await writeDueExports(env, dueAt(S), ALL);
    for (const d of days) {
      expect(run.written).toContain(exportName("credits", d));
      expect(run.written).toContain(exportName("statements", d));
    }
    expect(parseCsv((await exportText(exportName("statements", S))) ?? "")).toHaveLength(1);

    // It reaches the index at last: its credits of S-1 and its statement closed on S are late.
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      const online = new WorkspaceObject(state, env);
      // Its constructor's migrations and loads run before any call reaches it.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await online.reportToFleet()).toBe(true);
    });
    expect((await writeDueExports(env, dueAt(S, 1), ALL)).written.sort()).toEqual([
      exportName("credits", S - DAY_MS, 1),
      exportName("statements", S, 1),
    ]);
    expect(await creditLines(exportName("credits", S - DAY_MS, 1), [ws])).toEqual(
      lines([[`${ws}|${dayName(S - DAY_MS)}|copilot`, 9]]),
    );
    // The whole statement, as the workspace answers it.
    const answered = await call("GET", `${api(ws)}/credits/statements/${periodStart}?format=csv`, {
      role: "viewer",
    });
    expect(answered.status).toBe(200);
    const [, ...figures] = parseCsv(answered.text);
    const [header, ...corrected] = parseCsv(
      (await exportText(exportName("statements", S, 1))) ?? "",
    );
    expect(header).toEqual(["workspace", "period_start", "section", "item", "value"]);
    expect(corrected).toEqual(figures.map((f) => [ws, periodStart, ...f]));
    expect(corrected).toContainEqual([ws, periodStart, "credits", "used", "9"]);

    // The same statement sent again (a report whose answer was lost) adds nothing; a changed
    // one is corrected again, whole.
    const row = await db()
      .prepare("SELECT body FROM fleet_statements_late WHERE workspace_id = ?")
      .bind(ws)
      .first<{ body: string }>();
    const statement = JSON.parse(row?.body ?? "{}") as Statement;
    await db().batch(exportStatements(db(), ws, 1, [], [statement]));
    expect(await writeDueExports(env, dueAt(S, 2), ALL)).toEqual({ written: [], failed: [] });
    const changed = { ...statement, used: statement.used + 1 };
    await db().batch(exportStatements(db(), ws, 1, [], [changed]));
    expect(await writeDueExports(env, dueAt(S, 3), ALL)).toEqual({
      written: [exportName("statements", S, 2)],
      failed: [],
    });
    const [, ...again] = parseCsv((await exportText(exportName("statements", S, 2))) ?? "");
    expect(again).toEqual(statementLines(changed).map((l) => [ws, periodStart, ...l.map(String)]));
  });

  it("are bounded: one file a run, the oldest day first, by pages, only within the retention", async () => {
    const H = Date.parse("2032-03-01T00:00:00Z");
    const days = [H, H + DAY_MS];
    expect((await writeDueExports(env, dueAt(H + DAY_MS), ALL)).written).toEqual(
      dayFiles(H + DAY_MS),
    );
    // A day's worth of late workspaces (more than two pages) and one on the next day, as their
    // reports add them to the days' open corrections.
    const rows = 12_001;
    await db()
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO fleet_credits_late (day, correction, workspace_id, feature, credits)
         SELECT ?, 1, printf('late-%06d', i), 'copilot', i FROM n`,
      )
      .bind(rows, H)
      .run();
    await db().batch(exportStatements(db(), "late-next", 1, [[H + DAY_MS, "copilot", 2]], []));

    const runs = [];
    for (let minute = 1; minute <= 3; minute++) {
      runs.push(await writeDueExports(env, dueAt(H + DAY_MS, minute)));
    }
    expect(runs).toEqual([
      { written: [exportName("credits", H, 1)], failed: [] },
      { written: [exportName("credits", H + DAY_MS, 1)], failed: [] },
      { written: [], failed: [] },
    ]);
    const [, ...big] = parseCsv((await exportText(exportName("credits", H, 1))) ?? "");
    expect(big).toHaveLength(rows);
    expect(new Set(big.map((l) => l[0])).size).toBe(rows);
    expect(big.reduce((n, l) => n + Number(l[3]), 0)).toBe((rows * (rows + 1)) / 2);
    expect(await exportManifest(exportName("credits", H, 1))).toMatchObject({ rows });

    // A figure of a day past the retention gets no correction, and is pruned.
    await db().batch(exportStatements(db(), "late-old", 1, [[H, "copilot", 3]], []));
    const later = H + DAY_MS + EXPORT_FIGURES_RETENTION_MS + DAY_MS;
    // Room for every file due (the three days' files, any correction): none of H's.
    for (const minute of [0, 1]) {
      const run = await writeDueExports(env, dueAt(later, minute), { filesPerRun: 20 });
      expect(run.failed).toEqual([]);
      expect(run.written.some((n) => n.includes(dayName(H)))).toBe(false);
    }
    // Pruned by bounded batches: two runs for these 12,003 figures.
    const kept = await db()
      .prepare("SELECT COUNT(*) AS n FROM fleet_credits_late WHERE day IN (?, ?)")
      .bind(...days)
      .first<{ n: number }>();
    expect(kept?.n).toBe(0);
  });

  it("a day file D1 does not know (written before the corrections) is taken as listed", async () => {
    const K = Date.parse("2032-06-10T00:00:00Z");
    expect((await writeDueExports(env, dueAt(K), ALL)).written).toEqual(dayFiles(K));
    await db().prepare("DELETE FROM fleet_export_days WHERE day = ?").bind(K).run();
    // The next run asks R2, finds the file and seals the day: nothing written again.
    expect(await writeDueExports(env, dueAt(K, 1), ALL)).toEqual({ written: [], failed: [] });
    await db().batch(exportStatements(db(), "late-upgrade", 1, [[K, "copilot", 4]], []));
    expect(await writeDueExports(env, dueAt(K, 2), ALL)).toEqual({
      written: [exportName("credits", K, 1)],
      failed: [],
    });
    expect(await creditLines(exportName("credits", K, 1), ["late-upgrade"])).toEqual(
      lines([[`late-upgrade|${dayName(K)}|copilot`, 4]]),
    );
  });
});
