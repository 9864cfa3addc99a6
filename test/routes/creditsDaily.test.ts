import { describe, expect, it } from "vitest";
import { DailyCredits } from "../../src/schemas/creditsDaily";
import { ROLLED_SLICES_SQL, UNROLLED_SQL } from "../../src/workspace/archive/rollups";
import { commit, consume, credits, inObject, release, reserve, rows } from "../support/credits";
import { api, call, freshWorkspace, setClock, subscribe, token } from "../support/helpers";
import type { DailyCreditsDay } from "../support/schemas";

const daily = (ws: string, role: "viewer" | "service" | "admin" | "platform" = "viewer") =>
  call("GET", `${api(ws)}/credits/daily`, { role });

/** A Pro × 1 workspace whose period runs Jul 15 – Aug 15 (31 days), clock at `now`. */
async function workspace(now: string) {
  const ws = freshWorkspace("daily");
  expect((await setClock(ws, now)).status).toBe(200);
  const sub = await subscribe(ws, {
    plan: "pro",
    seats: 1,
    periodAnchor: "2026-07-15T00:00:00.000Z",
  });
  expect(sub.status).toBe(200);
  return ws;
}

describe("GET credits/daily", () => {
  it("sums what was charged by day and feature: consumes and commits, not holds or releases", async () => {
    const ws = await workspace("2026-07-15T10:00:00.000Z");
    expect((await consume(ws, "copilot", 5)).json.allowed).toBe(true);
    await setClock(ws, "2026-07-16T23:59:00.000Z");
    await consume(ws, "ai_rewriter", 3);
    const held = (await reserve(ws, "ai_agent", 30, 3600)).json;
    await commit(ws, held.reservationId, 42);
    const freed = (await reserve(ws, "ai_summarize", 10, 3600)).json;
    await release(ws, freed.reservationId);
    await reserve(ws, "copilot", 9, 3600); // still open: held, not charged
    await setClock(ws, "2026-07-20T08:00:00.000Z");
    await consume(ws, "copilot", 7);

    const r = await daily(ws);
    expect(r.status).toBe(200);
    expect(DailyCredits.safeParse(r.json).success).toBe(true);
    expect(r.json).toMatchObject({
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
      asOf: "2026-07-20T08:00:00.000Z",
      daysInPeriod: 31,
      used: 57,
    });
    const days: DailyCreditsDay[] = r.json.days;
    // Jul 15 through today (Jul 20), oldest first, every feature on every day.
    expect(days.map((d) => d.startsAt.slice(0, 10))).toEqual([
      "2026-07-15",
      "2026-07-16",
      "2026-07-17",
      "2026-07-18",
      "2026-07-19",
      "2026-07-20",
    ]);
    expect(days.map((d) => d.credits)).toEqual([5, 45, 0, 0, 0, 7]);
    expect(days[1]?.features).toEqual({
      ai_rewriter: 3,
      ai_summarize: 0,
      ai_reply_suggestions: 0,
      ai_task_suggestions: 0,
      ai_agent: 42,
      copilot: 0,
      copilot_analyst: 0,
    });
    expect(days[5]?.features.copilot).toBe(7);
    // The days add up to the period's figure the rest of the API reports.
    expect((await credits(ws)).json.used).toBe(57);
  });

  it("covers the current period only: a renewal starts from zero", async () => {
    const ws = await workspace("2026-08-14T12:00:00.000Z");
    await consume(ws, "copilot", 11);
    await setClock(ws, "2026-08-16T01:00:00.000Z");
    await consume(ws, "ai_rewriter", 2);
    const r = await daily(ws);
    expect(r.json.periodStart).toBe("2026-08-15T00:00:00.000Z");
    expect(r.json.daysInPeriod).toBe(31);
    expect(r.json.days.map((d: DailyCreditsDay) => [d.startsAt.slice(0, 10), d.credits])).toEqual([
      ["2026-08-15", 0],
      ["2026-08-16", 2],
    ]);
    expect(r.json.used).toBe(2);
  });

  it("counts only this period after two anchor changes at one instant (the second moves its end)", async () => {
    const ws = await workspace("2026-07-20T00:00:00.000Z");
    await consume(ws, "copilot", 600); // the period from Jul 15
    await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-25T00:00:00.000Z" });
    await consume(ws, "copilot", 750); // a period from Jul 20 00:00 …
    await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: "2026-07-27T00:00:00.000Z" });
    await consume(ws, "copilot", 5); // … which goes on to Jul 27: it began at this instant
    await setClock(ws, "2026-07-21T12:00:00.000Z");
    await consume(ws, "ai_rewriter", 2);
    const r = await daily(ws);
    expect(r.json).toMatchObject({
      periodStart: "2026-07-20T00:00:00.000Z",
      nextResetAt: "2026-07-27T00:00:00.000Z",
      daysInPeriod: 7,
      used: 757,
    });
    expect(
      r.json.days.map((d: DailyCreditsDay) => [d.features.copilot, d.features.ai_rewriter]),
    ).toEqual([
      [755, 0],
      [0, 2],
    ]);
    expect((await credits(ws)).json.used).toBe(757);
  });

  it("answers at most one entry per day of the period, each with the seven features", async () => {
    // The last instant of a 31-day period: 31 days, however many charges.
    const ws = await workspace("2026-07-15T00:00:00.000Z");
    for (let i = 0; i < 40; i++) await consume(ws, "ai_rewriter", 1);
    await setClock(ws, "2026-08-14T23:59:59.999Z");
    await consume(ws, "copilot", 1);
    const r = await daily(ws);
    expect(r.json.days).toHaveLength(31);
    expect(r.json.days[0].credits).toBe(40);
    expect(r.json.days[30].credits).toBe(1);
    for (const d of r.json.days) expect(Object.keys(d.features)).toHaveLength(7);
  });

  it("reads the roll-ups by a range of days and the raw entries after their pointer, never a scan", async () => {
    const ws = await workspace("2026-07-20T00:00:00.000Z");
    await consume(ws, "copilot", 1);
    const plans = await inObject(ws, (sql) =>
      [
        [ROLLED_SLICES_SQL, 0, 1],
        [UNROLLED_SQL, 0],
      ].map(([query, ...params]) =>
        rows(sql, `EXPLAIN QUERY PLAN ${query}`, ...params)
          .map((r) => r.detail)
          .join(" "),
      ),
    );
    expect(plans[0]).toMatch(
      /SEARCH credit_daily USING (PRIMARY KEY|INDEX \S+) \(day>\? AND day<\?\)/,
    );
    expect(plans[1]).toMatch(/SEARCH credit_ledger USING INTEGER PRIMARY KEY \(rowid>\?\)/);
  });

  it("is a read for every role of the workspace, and refuses other workspaces", async () => {
    const ws = await workspace("2026-07-20T00:00:00.000Z");
    for (const role of ["viewer", "service", "admin", "platform"] as const) {
      expect((await daily(ws, role)).status).toBe(200);
    }
    const other = await call("GET", `${api(ws)}/credits/daily`, {
      token: await token("someone-else", "admin"),
    });
    expect(other.status).toBe(403);
    const none = await daily(freshWorkspace("daily-none"));
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe("not_found");
  });
});
