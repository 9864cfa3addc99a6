import { describe, expect, it } from "vitest";
import {
  commit,
  consume,
  credits,
  expectCountersMatchLedger,
  inObject,
  postPackage,
  reserve,
  rows,
  setup,
  usage,
} from "../support/credits";
import { storedEvents } from "../support/events";
import { freshWorkspace, setClock, subscribe } from "../support/helpers";

const Z = (day: string) => `${day}T00:00:00.000Z`;

describe("billing periods through the API", () => {
  // Each step: the clock, then the period the workspace must be in.
  const cases: [string, [string, string, string][]][] = [
    [
      "2026-01-31", // the 31st, common February
      [
        ["2026-02-27T23:59:59.999Z", Z("2026-01-31"), Z("2026-02-28")],
        [Z("2026-02-28"), Z("2026-02-28"), Z("2026-03-31")],
        ["2026-03-30T12:00:00.000Z", Z("2026-02-28"), Z("2026-03-31")],
        [Z("2026-03-31"), Z("2026-03-31"), Z("2026-04-30")],
        [Z("2026-04-30"), Z("2026-04-30"), Z("2026-05-31")],
      ],
    ],
    [
      "2028-01-31", // the 31st, leap February
      [
        [Z("2028-02-28"), Z("2028-01-31"), Z("2028-02-29")],
        [Z("2028-02-29"), Z("2028-02-29"), Z("2028-03-31")],
        [Z("2028-03-31"), Z("2028-03-31"), Z("2028-04-30")],
      ],
    ],
    [
      "2027-01-30", // the 30th, common February
      [
        [Z("2027-02-28"), Z("2027-02-28"), Z("2027-03-30")],
        [Z("2027-03-29"), Z("2027-02-28"), Z("2027-03-30")],
        [Z("2027-03-30"), Z("2027-03-30"), Z("2027-04-30")],
      ],
    ],
    [
      "2027-12-29", // the 29th, leap February
      [
        [Z("2028-01-29"), Z("2028-01-29"), Z("2028-02-29")],
        [Z("2028-02-28"), Z("2028-01-29"), Z("2028-02-29")],
        [Z("2028-02-29"), Z("2028-02-29"), Z("2028-03-29")],
      ],
    ],
    [
      "2026-12-29", // the 29th, common February
      [
        [Z("2027-01-29"), Z("2027-01-29"), Z("2027-02-28")],
        [Z("2027-02-28"), Z("2027-02-28"), Z("2027-03-29")],
        [Z("2027-03-29"), Z("2027-03-29"), Z("2027-04-29")],
      ],
    ],
  ];

  it.each(cases)("anchor %s: periods, resets and usage follow the clock", async (anchor, steps) => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z(anchor) }, Z(anchor));
    await consume(ws, "ai_rewriter", 100);
    let previousStart = Z(anchor);
    for (const [now, start, end] of steps) {
      await setClock(ws, now);
      const view = (await credits(ws)).json;
      expect({ now, start: view.periodStart, end: view.nextResetAt }).toEqual({ now, start, end });
      // A new period reads fresh counters: nothing carries over.
      expect(view.used).toBe(start === previousStart ? 100 : 0);
      if (start !== previousStart) {
        await consume(ws, "ai_rewriter", 100);
        previousStart = start;
      }
      expect((await usage(ws)).json.credits).toMatchObject({ used: 100, remaining: 650 });
    }
    const resets = (await storedEvents(ws)).filter((e) => e.type === "credits.reset");
    const starts = [...new Set(steps.map(([, start]) => start))].filter((s) => s !== Z(anchor));
    expect(resets.map((e) => e.occurredAt)).toEqual(starts);
    expect(resets.map((e) => e.data.periodStart)).toEqual(starts);
  });

  it("emits one reset per renewal passed while idle, each at its own period start", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-31") }, Z("2026-08-01"));
    await consume(ws, "ai_rewriter", 300);
    await setClock(ws, "2026-11-05T00:00:00.000Z");
    const resets = (await storedEvents(ws)).filter((e) => e.type === "credits.reset");
    expect(resets.map((e) => [e.occurredAt, e.data.previousUsed, e.data.expired])).toEqual([
      [Z("2026-08-31"), 300, 450],
      [Z("2026-09-30"), 0, 750],
      [Z("2026-10-31"), 0, 750],
    ]);
    // Running due work again changes nothing.
    await setClock(ws, "2026-11-05T00:00:00.000Z");
    expect((await storedEvents(ws)).filter((e) => e.type === "credits.reset")).toHaveLength(3);
  });

  it("starts a new period at once when the platform moves the anchor", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 300);
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-20") });
    expect((await credits(ws)).json).toMatchObject({
      periodStart: Z("2026-07-20"),
      nextResetAt: Z("2026-08-20"),
      used: 0,
    });
    const resets = (await storedEvents(ws)).filter((e) => e.type === "credits.reset");
    expect(resets).toEqual([
      expect.objectContaining({
        occurredAt: Z("2026-07-20"),
        data: expect.objectContaining({
          periodStart: Z("2026-07-20"),
          previousPeriodStart: Z("2026-07-15"),
          previousUsed: 300,
        }),
      }),
    ]);
  });
});

describe("a renewal while a reservation is open", () => {
  it("keeps the hold open in the new period and charges the commit to the period it happens in", async () => {
    const ws = freshWorkspace();
    await setup(
      ws,
      { plan: "pro", seats: 1, periodAnchor: Z("2026-07-15") },
      "2026-08-14T23:30:00.000Z",
    );
    await consume(ws, "ai_rewriter", 1_000);
    const r = await reserve(ws, "ai_agent", 1_000, 3_600);
    expect(r.json).toMatchObject({ used: 1_000, held: 1_000, remaining: 250 });

    await setClock(ws, Z("2026-08-15"));
    expect((await credits(ws)).json).toMatchObject({
      periodStart: Z("2026-08-15"),
      used: 0,
      held: 1_000,
      remaining: 1_250,
    });
    const reset = (await storedEvents(ws)).find((e) => e.type === "credits.reset");
    // The hold was never charged to the old period: its unused credits expire with it.
    expect(reset?.data).toMatchObject({ previousUsed: 1_000, expired: 1_250 });

    const c = await commit(ws, r.json.reservationId, 1_100);
    expect(c.json).toMatchObject({
      charged: 1_100,
      overrun: 100,
      used: 1_100,
      held: 0,
      remaining: 1_150,
      periodStart: Z("2026-08-15"),
    });
    const ledger = await inObject(ws, (sql) =>
      rows(sql, "SELECT kind, credits, period_start FROM credit_ledger ORDER BY id"),
    );
    expect(ledger).toEqual([
      { kind: "debit", credits: 1_000, period_start: Date.parse(Z("2026-07-15")) },
      { kind: "hold", credits: 1_000, period_start: Date.parse(Z("2026-07-15")) },
      { kind: "commit", credits: 1_100, period_start: Date.parse(Z("2026-08-15")) },
    ]);
    await expectCountersMatchLedger(ws);
  });

  it("lets a hold that expires after the renewal free itself in the new period", async () => {
    const ws = freshWorkspace();
    await setup(
      ws,
      { plan: "pro", seats: 1, periodAnchor: Z("2026-07-15") },
      "2026-08-14T23:59:00.000Z",
    );
    const r = await reserve(ws, "ai_agent", 2_250, 120);
    expect(r.json.remaining).toBe(0);
    await setClock(ws, "2026-08-15T00:00:30.000Z");
    expect((await credits(ws)).json).toMatchObject({ held: 2_250, remaining: 0 });
    await setClock(ws, "2026-08-15T00:01:00.000Z");
    expect((await credits(ws)).json).toMatchObject({ held: 0, remaining: 2_250 });
    expect((await commit(ws, r.json.reservationId, 10)).json.error.code).toBe(
      "reservation_expired",
    );
    await expectCountersMatchLedger(ws);
  });
});

describe("a package expiring mid-period", () => {
  it("lowers the balance at its expiry; an overdrawn pool refuses spends until the renewal", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-16"));
    await postPackage(ws, { id: "summer", credits: 500, expiresAt: "2026-07-25T12:00:00Z" });
    expect((await consume(ws, "ai_summarize", 1_000)).json).toMatchObject({
      allowed: true,
      monthlyBalance: 1_250,
      remaining: 250,
    });
    await setClock(ws, "2026-07-25T11:59:59.999Z");
    expect((await consume(ws, "ai_summarize", 1)).json.allowed).toBe(true);
    await setClock(ws, "2026-07-25T12:00:00.000Z");
    const after = await consume(ws, "ai_summarize", 1);
    expect(after.json).toMatchObject({
      allowed: false,
      reason: "insufficient_credits",
      monthlyBalance: 750,
      used: 1_001,
      remaining: -251,
    });
    expect((await credits(ws)).json).toMatchObject({ packages: [], percentUsed: 133.47 });
    // The balance crossing 100 % without a spend is announced when the package expires.
    const thresholds = (await storedEvents(ws)).filter((e) => e.type === "credits.threshold");
    expect(thresholds.map((e) => [e.data.percent, e.occurredAt])).toEqual([
      [80, "2026-07-16T00:00:00.000Z"],
      [100, "2026-07-25T12:00:00.000Z"],
    ]);
    await setClock(ws, Z("2026-08-15"));
    expect((await consume(ws, "ai_summarize", 750)).json).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });
});

describe("threshold events", () => {
  it("announces 80 % and 100 % once each per period, in the spend that crossed them", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 2, periodAnchor: Z("2026-07-15") });
    const thresholds = async () =>
      (await storedEvents(ws))
        .filter((e) => e.type === "credits.threshold")
        .map((e) => ({ percent: e.data.percent, used: e.data.used, at: e.occurredAt }));
    await consume(ws, "copilot", 1_199);
    expect(await thresholds()).toEqual([]);
    await setClock(ws, "2026-07-21T00:00:00.000Z");
    await consume(ws, "copilot", 1); // 1,200 of 1,500 = 80 %
    expect(await thresholds()).toEqual([{ percent: 80, used: 1_200, at: Z("2026-07-21") }]);
    await consume(ws, "copilot", 100);
    const r = await reserve(ws, "copilot", 200, 3_600);
    expect(await thresholds()).toHaveLength(1); // a hold is not a use
    await setClock(ws, "2026-07-21T00:30:00.000Z");
    await commit(ws, r.json.reservationId, 200); // 1,500 = 100 %
    expect((await storedEvents(ws)).find((e) => e.data.percent === 100)).toEqual({
      type: "credits.threshold",
      occurredAt: "2026-07-21T00:30:00.000Z",
      data: {
        percent: 100,
        periodStart: Z("2026-07-15"),
        nextResetAt: Z("2026-08-15"),
        used: 1_500,
        monthlyBalance: 1_500,
      },
    });
    // More seats drop the share below 80 %; crossing again in the same period says nothing.
    await subscribe(ws, { plan: "base", seats: 4, periodAnchor: Z("2026-07-15") });
    await consume(ws, "copilot", 1_500);
    expect(await thresholds()).toHaveLength(2);
    // A new period announces again.
    await setClock(ws, Z("2026-08-15"));
    await consume(ws, "copilot", 3_000);
    expect((await thresholds()).map((t) => [t.percent, t.at])).toEqual([
      [80, Z("2026-07-21")],
      [100, "2026-07-21T00:30:00.000Z"],
      [80, Z("2026-08-15")],
      [100, Z("2026-08-15")],
    ]);
  });

  it("does not announce a refused spend", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") });
    await consume(ws, "copilot", 751);
    await consume(ws, "copilot", 599);
    expect((await storedEvents(ws)).filter((e) => e.type === "credits.threshold")).toEqual([]);
  });
});
