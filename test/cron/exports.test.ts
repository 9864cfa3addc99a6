import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { writeDueExports } from "../../src/cron/exports";
import { dayName, EXPORT_DELAY_MS, exportName } from "../../src/policy/exports";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/policy/time";
import { sha256Hex } from "../../src/workspace/archive/files";
import type { CallMeta } from "../../src/workspace/context";
import { exportStatements } from "../../src/workspace/fleetExports";
import { WorkspaceObject } from "../../src/workspace/object";
import { answersLost, exportManifest, exportText, ledgerSums, parseCsv } from "../support/exports";
import { advanceTimeTo, api, call, freezeTime, freshWorkspace } from "../support/helpers";

/** Every file due in one run (the cron writes one a minute). */
const ALL = { filesPerRun: 6 };

/**
 * The daily finance exports (issue #19 §3): the fleet-wide credits file of each UTC day equals
 * the ledgers' sums per workspace, day and feature (a workspace that reported after midnight,
 * one that spent nothing), the statements file of a day holds every period closed that day as
 * GET credits/statements/{periodStart} answers it, a file is written once the window has passed
 * and never again, and a large day goes to R2 as a multipart upload.
 */

const service: CallMeta = { role: "service" };
const platform: CallMeta = { role: "platform" };
const stubOf = (ws: string) => env.WORKSPACE.getByName(ws);
/** The first exported day of the main test; each test uses days of its own. */
const D0 = Date.parse("2031-03-10T00:00:00Z");
const at = (day: number, hours: number, minutes = 0) =>
  D0 + day * DAY_MS + hours * HOUR_MS + minutes * MINUTE_MS;

async function subscribed(ws: string, anchor: string, overrides: Record<string, number> = {}) {
  const stub = stubOf(ws);
  expect(await stub.setTestClock(at(0, 8))).toMatchObject({ ok: true });
  const sub = await stub.putSubscription(
    ws,
    { plan: "pro", seats: 1, periodAnchor: anchor, overrides },
    platform,
  );
  expect(sub.ok).toBe(true);
  return stub;
}

async function spend(ws: string, when: number, spends: [string, number][], commit?: number) {
  const stub = stubOf(ws);
  expect(await stub.setTestClock(when)).toMatchObject({ ok: true });
  for (const [feature, credits] of spends) {
    const r = await stub.consumeCredits({ feature: feature as "copilot", credits }, service);
    expect(r.ok).toBe(true);
  }
  if (commit !== undefined) {
    const held = await stub.reserveCredits(
      { feature: "ai_summarize", credits: commit + 1, ttlSeconds: 600 },
      service,
    );
    if (!held.ok || held.value.reservationId === null) throw new Error("reserve refused");
    expect((await stub.commitReservation(held.value.reservationId, commit, service)).ok).toBe(true);
  }
}

/** The credits files' lines of these workspaces, summed per `ws|day|feature`. */
async function exportedSums(days: number[], wss: string[]): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const day of days) {
    const text = await exportText(exportName("credits", day));
    if (text === null) throw new Error(`no credits file for ${dayName(day)}`);
    const [header, ...lines] = parseCsv(text);
    expect(header).toEqual(["workspace", "day", "feature", "credits"]);
    for (const [ws, d, feature, credits] of lines) {
      expect(d).toBe(dayName(day));
      if (!wss.includes(ws as string)) continue;
      const key = `${ws}|${d}|${feature}`;
      // One line per workspace, day and feature.
      expect(sums.has(key)).toBe(false);
      sums.set(key, Number(credits));
    }
  }
  return sums;
}

describe("the daily finance exports", () => {
  freezeTime();

  it("equal the ledgers per workspace, day and feature; statements as answered; written once", async () => {
    const onTime = freshWorkspace("exp-a");
    const late = freshWorkspace("exp-late");
    const idle = freshWorkspace("exp-idle");
    // Periods closing on day 1 and day 2, each with spends and a refusal before the close.
    const closing = [freshWorkspace("exp-s1"), freshWorkspace("exp-s2")];
    const big = { aiCreditsPerSeat: 100_000 };
    await subscribed(onTime, "2031-03-01T00:00:00Z", big);
    await subscribed(late, "2031-03-01T00:00:00Z", big);
    await subscribed(idle, "2031-03-01T00:00:00Z", big);
    await subscribed(closing[0] as string, "2031-02-11T00:00:00Z");
    await subscribed(closing[1] as string, "2031-02-12T00:00:00Z");
    for (const [i, ws] of closing.entries()) {
      await spend(ws, at(0, 9), [
        ["ai_rewriter", 7 + i],
        ["copilot", 3],
      ]);
      const refused = await stubOf(ws).consumeCredits(
        { feature: "copilot", credits: 5_000 },
        service,
      );
      expect(refused).toMatchObject({ ok: true, value: { allowed: false } });
      expect(await stubOf(ws).reportToFleet()).toBe(true);
    }

    for (let d = 0; d < 3; d++) {
      await spend(onTime, at(d, 9), [
        ["copilot", d + 1],
        ["ai_rewriter", 2],
      ]);
      await spend(onTime, at(d, 15), [["copilot", 5]], 4 + d);
      // Its report within the minute, as its alarm sends it.
      expect(await stubOf(onTime).reportToFleet()).toBe(true);
      // The late one spends before midnight and reports after it: its next due work, at 00:10
      // (the clock's move runs it), carries the day before.
      await spend(late, at(d, 23, 30), [["ai_summarize", 10 + d]], 3);
      expect(await stubOf(late).setTestClock(at(d + 1, 0, 10))).toMatchObject({ ok: true });
      expect(await stubOf(idle).setTestClock(at(d, 12))).toMatchObject({ ok: true });
      // The closing workspaces: their period closes at midnight; the due work that follows
      // records the statement and reports it.
      for (const ws of closing) {
        expect(await stubOf(ws).setTestClock(at(d + 1, 0, 5))).toMatchObject({ ok: true });
      }
    }

    // At 00:14 on day 3, day 2 is still in its window: not written yet.
    const early = await writeDueExports(env, at(3, 0) + EXPORT_DELAY_MS - MINUTE_MS, ALL);
    expect(early.failed).toEqual([]);
    expect(early.written).toContain(exportName("credits", at(1, 0)));
    expect(early.written).not.toContain(exportName("credits", at(2, 0)));
    expect(await exportText(exportName("credits", at(2, 0)))).toBeNull();
    // At 00:15 it is.
    const due = await writeDueExports(env, at(3, 0) + EXPORT_DELAY_MS, ALL);
    expect(due).toEqual({
      written: [exportName("credits", at(2, 0)), exportName("statements", at(2, 0))],
      failed: [],
    });

    const days = [at(0, 0), at(1, 0), at(2, 0)];
    const wss = [onTime, late, idle, ...closing];
    const expected = await ledgerSums(wss);
    expect(await exportedSums(days, wss)).toEqual(expected);
    // Every workspace that spent is in it, the late one on each of its days; the idle one in none.
    expect([...expected.keys()].filter((k) => k.startsWith(`${late}|`))).toHaveLength(3);
    expect([...expected.keys()].some((k) => k.startsWith(`${idle}|`))).toBe(false);

    // Each day's statements file holds the periods closed that day, as the workspace answers.
    for (const [i, ws] of closing.entries()) {
      const closedDay = at(i + 1, 0);
      const periodStart = new Date(closedDay - 28 * DAY_MS).toISOString();
      const text = await exportText(exportName("statements", closedDay));
      const [header, ...lines] = parseCsv(text ?? "");
      expect(header).toEqual(["workspace", "period_start", "section", "item", "value"]);
      const own = lines.filter((l) => l[0] === ws);
      const answered = await call(
        "GET",
        `${api(ws)}/credits/statements/${periodStart}?format=csv`,
        { role: "viewer" },
      );
      expect(answered.status).toBe(200);
      const [, ...figures] = parseCsv(answered.text);
      expect(own).toEqual(figures.map((f) => [ws, periodStart, ...f]));
      expect(own).toContainEqual([ws, periodStart, "credits", "used", String(10 + i)]);
      expect(own).toContainEqual([
        ws,
        periodStart,
        "refusals_by_reason",
        "insufficient_credits",
        "1",
      ]);
      // Only that day's file has it.
      const other = await exportText(exportName("statements", at(2 - i, 0)));
      expect(parseCsv(other ?? "").some((l) => l[0] === ws)).toBe(false);
    }

    // Written once: a rerun writes nothing, and a report landing after the window changes no
    // file already written: its credits go to a correction file (exportCorrections.test.ts).
    const before = await exportText(exportName("credits", at(2, 0)));
    const manifest = await exportManifest(exportName("credits", at(2, 0)));
    const rerun = await writeDueExports(env, at(3, 0) + EXPORT_DELAY_MS + MINUTE_MS, ALL);
    expect(rerun).toEqual({ written: [], failed: [] });
    const db = env.FLEET as D1Database;
    await db.batch(exportStatements(db, "exp-ghost", 1, [[at(2, 0), "copilot", 99]], []));
    const corrected = await writeDueExports(env, at(3, 0) + EXPORT_DELAY_MS + 2 * MINUTE_MS, ALL);
    expect(corrected).toEqual({ written: [exportName("credits", at(2, 0), 1)], failed: [] });
    expect(await exportText(exportName("credits", at(2, 0)))).toBe(before);
    expect(await exportManifest(exportName("credits", at(2, 0)))).toEqual(manifest);
    expect(manifest).toMatchObject({
      key: exportName("credits", at(2, 0)),
      kind: "credits",
      day: dayName(at(2, 0)),
      correction: 0,
      correctsKey: null,
      rows: parseCsv(before ?? "").length - 1,
      bytes: new TextEncoder().encode(before ?? "").length,
      sha256: await sha256Hex(new TextEncoder().encode(before ?? "")),
    });
  });

  it("a report cut short is sent again and its credits added once", async () => {
    const ws = freshWorkspace("exp-once");
    const D = Date.parse("2031-05-04T00:00:00Z");
    const stub = stubOf(ws);
    await stub.setTestClock(D + 8 * HOUR_MS);
    const sub = { plan: "pro", seats: 1, periodAnchor: "2031-05-01T00:00:00Z" } as const;
    expect((await stub.putSubscription(ws, sub, platform)).ok).toBe(true);
    // A hold, reported (its decision with it): the commit below is a charge with no decision to
    // count, so only its credits make that report worth keeping.
    const held = await stub.reserveCredits(
      { feature: "ai_summarize", credits: 10, ttlSeconds: 600 },
      service,
    );
    if (!held.ok || held.value.reservationId === null) throw new Error("reserve refused");
    const reservationId = held.value.reservationId;
    expect(await stub.reportToFleet()).toBe(true);
    // The report lands but its answer is lost; the next instance (after an eviction) sends it
    // again with its number, and the index adds its credits once. Each instance reports a
    // second later than the last, as real time would.
    const lossy = answersLost();
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      const cut = new WorkspaceObject(state, lossy);
      expect((await cut.commitReservation(reservationId, 6, service)).ok).toBe(true);
      advanceTimeTo(Date.now() + 1_000);
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      expect(await cut.reportToFleet()).toBe(false);
      log.mockRestore();
      advanceTimeTo(Date.now() + 1_000);
      const next = new WorkspaceObject(state, env);
      // Its constructor's migrations and loads run before any call reaches it.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await next.reportToFleet()).toBe(true);
      expect((await next.consumeCredits({ feature: "copilot", credits: 2 }, service)).ok).toBe(
        true,
      );
      advanceTimeTo(Date.now() + 1_000);
      expect(await next.reportToFleet()).toBe(true);
    });
    const rows = await (env.FLEET as D1Database)
      .prepare(
        "SELECT feature, credits FROM fleet_credits_daily WHERE workspace_id = ? AND day = ? ORDER BY feature",
      )
      .bind(ws, D)
      .all<{ feature: string; credits: number }>();
    expect(rows.results).toEqual([
      { feature: "ai_summarize", credits: 6 },
      { feature: "copilot", credits: 2 },
    ]);
  });

  it("a workspace's first report sends from yesterday's first ledger entry on", async () => {
    const ws = freshWorkspace("exp-first");
    const D = Date.parse("2031-05-10T00:00:00Z");
    const stub = stubOf(ws);
    // Five days of spends with no index to report to (as before the exports existed).
    await runInDurableObject(stub, async (_: WorkspaceObject, state) => {
      const unreported = new WorkspaceObject(state, { ...env, FLEET: undefined });
      await unreported.setTestClock(D + 8 * HOUR_MS);
      const sub = { plan: "pro", seats: 1, periodAnchor: "2031-05-01T00:00:00Z" } as const;
      expect((await unreported.putSubscription(ws, sub, platform)).ok).toBe(true);
      for (let d = 0; d < 5; d++) {
        await unreported.setTestClock(D + d * DAY_MS + 9 * HOUR_MS);
        for (const credits of [d + 1, 10]) {
          const r = await unreported.consumeCredits({ feature: "copilot", credits }, service);
          expect(r.ok).toBe(true);
        }
      }
      advanceTimeTo(Date.now() + 1_000);
      expect(await new WorkspaceObject(state, env).reportToFleet()).toBe(true);
    });
    const rows = await env.FLEET?.prepare(
      "SELECT day, credits FROM fleet_credits_daily WHERE workspace_id = ? ORDER BY day",
    )
      .bind(ws)
      .all<{ day: number; credits: number }>();
    expect(rows?.results).toEqual([
      { day: D + 3 * DAY_MS, credits: 4 + 10 },
      { day: D + 4 * DAY_MS, credits: 5 + 10 },
    ]);
  });

  it("writes a day larger than a part as a multipart upload, whole and listed", async () => {
    const day = Date.parse("2031-06-01T00:00:00Z");
    const rows = 160_000;
    await env.FLEET?.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO fleet_credits_daily (day, workspace_id, feature, credits)
       SELECT ?, printf('bulk-%06d', i), 'copilot', i FROM n`,
    )
      .bind(rows, day)
      .run();
    const run = await writeDueExports(env, day + DAY_MS + EXPORT_DELAY_MS, ALL);
    expect(run.failed).toEqual([]);
    expect(run.written).toContain(exportName("credits", day));
    const text = (await exportText(exportName("credits", day))) ?? "";
    const bytes = new TextEncoder().encode(text);
    // Larger than one part: it went up in parts.
    expect(bytes.length).toBeGreaterThan(5 * 1024 * 1024);
    const [, ...lines] = parseCsv(text);
    expect(lines).toHaveLength(rows);
    expect(lines[0]).toEqual(["bulk-000001", "2031-06-01", "copilot", "1"]);
    expect(lines.reduce((n, l) => n + Number(l[3]), 0)).toBe((rows * (rows + 1)) / 2);
    expect(await exportManifest(exportName("credits", day))).toMatchObject({
      rows,
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
    });
  }, 120_000);
});
