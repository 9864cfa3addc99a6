import { describe, expect, it } from "vitest";
import {
  askQuestion,
  commit,
  consume,
  credits,
  expectCountersMatchLedger,
  inObject,
  postPackage,
  reserve,
  rows,
  setup,
} from "../support/credits";
import { storedEvents } from "../support/events";
import { call, freshWorkspace, setClock, subscribe } from "../support/helpers";

/**
 * A changed anchor ends the period in force at the change (issue 10, items 3-4):
 * docs/rules.md, "Billing periods and anchor changes".
 */

const Z = (day: string) => `${day}T00:00:00.000Z`;

interface ResetData {
  periodStart: string;
  nextResetAt: string;
  previousPeriodStart: string;
  previousUsed: number;
  previousBalance: number;
  expired: number;
}

const resets = async (ws: string) =>
  (await storedEvents(ws))
    .filter((e) => e.type === "credits.reset")
    .map((e) => ({ at: e.occurredAt, ...(e.data as unknown as ResetData) }));

const thresholds = async (ws: string) =>
  (await storedEvents(ws))
    .filter((e) => e.type === "credits.threshold")
    .map((e) => [e.data.percent, e.data.periodStart, e.occurredAt]);

const period = async (ws: string) => {
  const { periodStart, nextResetAt, used, held, monthlyBalance } = (await credits(ws)).json;
  return { periodStart, nextResetAt, used, held, monthlyBalance };
};

describe("the reset figures of a PUT that changes the plan or seats and the anchor (item 3)", () => {
  // The balance reported is the one in force at the end of the period the reset closes: the
  // subscription and packages from before the PUT, not the new ones.
  it.each([
    // the scenario, verbatim: pro × 2, 1,000 used, then base + a new anchor
    ["pro × 2 → base × 1", { plan: "pro", seats: 2 }, { plan: "base", seats: 1 }, 0, 4_500],
    ["pro × 2 → pro × 5", { plan: "pro", seats: 2 }, { plan: "pro", seats: 5 }, 0, 4_500],
    ["base × 4 → pro × 1", { plan: "base", seats: 4 }, { plan: "pro", seats: 1 }, 0, 3_000],
    [
      "pro × 2 + a package → base",
      { plan: "pro", seats: 2 },
      { plan: "base", seats: 1 },
      500,
      5_000,
    ],
  ] as const)(
    "%s: previousBalance and expired use the old subscription",
    async (_, before, after, pkg, balance) => {
      const ws = freshWorkspace();
      await setup(ws, { ...before, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
      if (pkg > 0) {
        expect(
          (await postPackage(ws, { id: "p1", credits: pkg, expiresAt: Z("2027-01-01") })).status,
        ).toBe(200);
      }
      expect((await consume(ws, "ai_rewriter", 1_000)).json.allowed).toBe(true);
      await setClock(ws, Z("2026-07-22"));
      expect((await subscribe(ws, { ...after, periodAnchor: Z("2026-07-22") })).status).toBe(200);
      expect(await resets(ws)).toEqual([
        {
          at: Z("2026-07-22"),
          periodStart: Z("2026-07-22"),
          nextResetAt: Z("2026-08-22"),
          previousPeriodStart: Z("2026-07-15"),
          previousUsed: 1_000,
          previousBalance: balance,
          expired: balance - 1_000,
        },
      ]);
    },
  );

  it("on the very instant the period began, nothing has ended: the period takes the new end", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "pro", seats: 2, periodAnchor: Z("2026-07-15") }, Z("2026-07-15"));
    await consume(ws, "ai_rewriter", 1_000);
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-22") });
    // A period that lasted no time is not closed: what it charged stays charged (docs/rules.md).
    expect(await resets(ws)).toEqual([]);
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-15"),
      nextResetAt: Z("2026-07-22"),
      used: 1_000,
      monthlyBalance: 750,
    });
    await expectCountersMatchLedger(ws);
  });

  it("a plan change alone (same anchor) ends nothing; the next renewal reports the new plan", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "pro", seats: 2, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 1_000);
    await subscribe(ws, { plan: "base", seats: 2, periodAnchor: Z("2026-07-15") });
    expect(await resets(ws)).toEqual([]);
    await setClock(ws, Z("2026-08-15"));
    expect(await resets(ws)).toEqual([
      expect.objectContaining({ previousUsed: 1_000, previousBalance: 1_500, expired: 500 }),
    ]);
  });
});

describe("a changed anchor ends the period in force at the change (item 4)", () => {
  it("moving the anchor away and back does not bring the old period's usage back", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 700);
    await askQuestion(ws);
    await setClock(ws, "2026-07-21T00:00:00.000Z");
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-25") });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-21"),
      nextResetAt: Z("2026-07-25"),
      used: 0,
    });
    await consume(ws, "ai_rewriter", 50);
    await setClock(ws, "2026-07-22T00:00:00.000Z");
    // Back to the 15th: a new period from now to the next 15th, with none of the 700.
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-22"),
      nextResetAt: Z("2026-08-15"),
      used: 0,
    });
    expect((await consume(ws, "ai_rewriter", 751)).json).toMatchObject({
      allowed: false,
      remaining: 750,
    });
    const q = (await credits(ws)).json.copilotQuestions;
    expect(q.used).toBe(0);
    expect(
      (await resets(ws)).map((r) => [r.at, r.previousPeriodStart, r.previousUsed, r.expired]),
    ).toEqual([
      ["2026-07-21T00:00:00.000Z", Z("2026-07-15"), 700, 50],
      ["2026-07-22T00:00:00.000Z", Z("2026-07-21"), 50, 700],
    ]);
    await expectCountersMatchLedger(ws);
  });

  it("changes at one frozen instant end one period; the ledger labels each entry with its period", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 700);
    await askQuestion(ws);
    const steps: [string, number, string][] = [
      // new anchor, credits then spent, the period's end
      [Z("2026-07-25"), 100, Z("2026-07-25")],
      [Z("2026-07-15"), 30, Z("2026-08-15")], // back to where it was: the 700 stay gone
      [Z("2026-07-27"), 0, Z("2026-07-27")],
      [Z("2026-07-15"), 5, Z("2026-08-15")],
    ];
    let used = 0;
    for (const [anchor, spend, end] of steps) {
      await subscribe(ws, { plan: "base", seats: 1, periodAnchor: anchor });
      // The first change ends the period in force; the later ones, at the instant the new
      // period began, only move its end: two periods never share a start.
      expect(await period(ws)).toMatchObject({
        periodStart: Z("2026-07-20"),
        nextResetAt: end,
        used,
      });
      if (spend > 0) await consume(ws, "ai_rewriter", spend);
      used += spend;
      await askQuestion(ws);
    }
    expect(await period(ws)).toMatchObject({ used: 135 });
    expect((await credits(ws)).json.copilotQuestions.used).toBe(4);
    expect(
      (await resets(ws)).map((r) => [r.previousPeriodStart, r.previousUsed, r.expired]),
    ).toEqual([[Z("2026-07-15"), 700, 50]]);
    // Every entry says the period it was charged in: summed by period, the ledger is `used`.
    const byPeriod = await inObject(ws, (sql) =>
      rows(
        sql,
        "SELECT period_start, SUM(credits) AS credits FROM credit_ledger WHERE kind = 'debit' GROUP BY period_start ORDER BY period_start",
      ),
    );
    expect(byPeriod).toEqual([
      { period_start: Date.parse(Z("2026-07-15")), credits: 700 },
      { period_start: Date.parse(Z("2026-07-20")), credits: 135 },
    ]);
    expect(
      (await call("GET", `/v1/workspaces/${ws}/credits/daily`, { role: "viewer" })).json,
    ).toMatchObject({
      used: 135,
    });
    // A later renewal closes it with its own figures.
    await setClock(ws, Z("2026-08-15"));
    expect((await resets(ws)).at(-1)).toMatchObject({
      previousPeriodStart: Z("2026-07-20"),
      previousUsed: 135,
      expired: 615,
    });
    await expectCountersMatchLedger(ws);
  });

  it.each([
    // new anchor, the period it would have had without the rule (it started before the old one)
    ["10 days ahead", Z("2026-08-10"), Z("2026-08-10")],
    ["months ahead", "2027-03-05T12:00:00.000Z", "2026-08-05T12:00:00.000Z"],
    ["in the past", Z("2025-01-01"), Z("2026-08-01")],
  ])(
    "an anchor %s never backdates the period: it runs from the change to the next occurrence",
    async (_, anchor, next) => {
      const ws = freshWorkspace();
      await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
      await consume(ws, "ai_rewriter", 750);
      await subscribe(ws, { plan: "base", seats: 1, periodAnchor: anchor });
      const now = await period(ws);
      expect(now).toMatchObject({ periodStart: Z("2026-07-20"), nextResetAt: next, used: 0 });
      expect(await resets(ws)).toEqual([
        expect.objectContaining({
          at: Z("2026-07-20"),
          periodStart: Z("2026-07-20"),
          previousPeriodStart: Z("2026-07-15"),
          previousUsed: 750,
        }),
      ]);
      // Later periods follow the new anchor.
      await setClock(ws, next);
      expect((await period(ws)).periodStart).toBe(next);
    },
  );

  it.each([
    ["12 months ahead", Z("2027-07-15")],
    ["2 months back", Z("2026-05-15")],
    ["a year and 3 months back", Z("2025-04-15")],
    ["the same instant written with an offset", "2026-07-15T02:00:00+02:00"],
  ])("an anchor a whole number of months away (%s) changes nothing", async (_, anchor) => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 600);
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: anchor });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-15"),
      nextResetAt: Z("2026-08-15"),
      used: 600,
    });
    expect(await resets(ws)).toEqual([]);
  });

  it("a whole-months move after a change keeps the short period the change created", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-25") });
    await consume(ws, "ai_rewriter", 100);
    await setClock(ws, Z("2026-07-22"));
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-09-25") });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-20"),
      nextResetAt: Z("2026-07-25"),
      used: 100,
    });
    expect(await resets(ws)).toHaveLength(1);
  });

  it("after a change, time passing over several renewals follows the new anchor exactly", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 100);
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-01-31") });
    await consume(ws, "ai_rewriter", 200);
    // Idle until October (events are kept 90 days): one reset per renewal, each closing its
    // own period, the first of them the short one the change created.
    await setClock(ws, Z("2026-10-10"));
    expect(
      (await resets(ws)).map((r) => [r.at, r.previousPeriodStart, r.previousUsed, r.nextResetAt]),
    ).toEqual([
      [Z("2026-07-20"), Z("2026-07-15"), 100, Z("2026-07-31")],
      [Z("2026-07-31"), Z("2026-07-20"), 200, Z("2026-08-31")],
      [Z("2026-08-31"), Z("2026-07-31"), 0, Z("2026-09-30")],
      [Z("2026-09-30"), Z("2026-08-31"), 0, Z("2026-10-31")],
    ]);
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-09-30"),
      nextResetAt: Z("2026-10-31"),
    });
  });

  it("reads are exact at any instant without a cron run, across the change and later renewals", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-25") });
    await consume(ws, "ai_rewriter", 100);
    // Move the frozen clock without running any due work: only reads see the new instant.
    const readAt = async (now: string) => {
      await inObject(ws, (sql) =>
        sql.exec("UPDATE meta SET value = ? WHERE key = 'testClock'", String(Date.parse(now))),
      );
      return period(ws);
    };
    expect(await readAt("2026-07-24T23:59:59.999Z")).toMatchObject({
      periodStart: Z("2026-07-20"),
      nextResetAt: Z("2026-07-25"),
      used: 100,
    });
    expect(await readAt(Z("2026-07-25"))).toMatchObject({
      periodStart: Z("2026-07-25"),
      nextResetAt: Z("2026-08-25"),
      used: 0,
    });
    expect(await readAt(Z("2027-03-01"))).toMatchObject({
      periodStart: Z("2027-02-25"),
      nextResetAt: Z("2027-03-25"),
    });
    expect(await resets(ws)).toHaveLength(1);
  });

  it("announces 80 % and 100 % once per period, the short one included", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "copilot", 600); // 80 % of 750
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-25") });
    await consume(ws, "copilot", 750); // 100 % of the new period
    // A second change at the same instant ends nothing: the period that began then goes on,
    // its 750 used and its announcements with it.
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-27") });
    expect((await consume(ws, "copilot", 1)).json.allowed).toBe(false);
    await setClock(ws, Z("2026-07-21"));
    await subscribe(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") });
    await consume(ws, "copilot", 600);
    expect(await thresholds(ws)).toEqual([
      [80, Z("2026-07-15"), Z("2026-07-20")],
      [80, Z("2026-07-20"), Z("2026-07-20")],
      [100, Z("2026-07-20"), Z("2026-07-20")],
      [80, Z("2026-07-21"), Z("2026-07-21")],
    ]);
  });

  it("keeps holds open across the change and charges the commit to the new period", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "pro", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 1_000);
    const r = await reserve(ws, "ai_agent", 1_000, 3_600);
    expect(r.json.allowed).toBe(true);
    await setClock(ws, "2026-07-20T00:10:00.000Z");
    await subscribe(ws, { plan: "pro", seats: 1, periodAnchor: Z("2026-07-01") });
    expect(await period(ws)).toMatchObject({
      periodStart: "2026-07-20T00:10:00.000Z",
      nextResetAt: Z("2026-08-01"),
      used: 0,
      held: 1_000,
    });
    // The hold was never charged to the old period: all but the 1,000 used expire with it.
    expect((await resets(ws))[0]).toMatchObject({ previousUsed: 1_000, expired: 1_250 });
    await setClock(ws, "2026-07-20T00:20:00.000Z");
    expect((await commit(ws, r.json.reservationId, 1_100)).json).toMatchObject({
      charged: 1_100,
      used: 1_100,
      held: 0,
      periodStart: "2026-07-20T00:10:00.000Z",
    });
    const ledger = await inObject(ws, (sql) =>
      rows(sql, "SELECT kind, credits, period_start FROM credit_ledger ORDER BY id"),
    );
    expect(ledger).toEqual([
      { kind: "debit", credits: 1_000, period_start: Date.parse(Z("2026-07-15")) },
      { kind: "hold", credits: 1_000, period_start: Date.parse(Z("2026-07-15")) },
      { kind: "commit", credits: 1_100, period_start: Date.parse("2026-07-20T00:10:00.000Z") },
    ]);
    await expectCountersMatchLedger(ws);
  });

  it("no period ever starts before the one it replaces, over a run of changes", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-16"));
    const anchors = [
      Z("2026-07-10"),
      Z("2026-08-20"),
      Z("2026-07-15"),
      Z("2030-01-01"),
      Z("1999-12-31"),
      Z("2026-07-16"),
    ];
    let previousStart = Z("2026-07-15");
    let day = 17;
    for (const anchor of anchors) {
      await consume(ws, "ai_rewriter", 10);
      await setClock(ws, Z(`2026-07-${day++}`));
      await subscribe(ws, { plan: "base", seats: 1, periodAnchor: anchor });
      const now = await period(ws);
      expect(Date.parse(now.periodStart)).toBeGreaterThan(Date.parse(previousStart));
      expect(now.used).toBe(0);
      previousStart = now.periodStart;
    }
    const all = await resets(ws);
    expect(all).toHaveLength(anchors.length);
    expect(all.map((r) => r.previousUsed)).toEqual(anchors.map(() => 10));
    await expectCountersMatchLedger(ws);
  });
});

describe("the worked example of docs/credits.md", () => {
  it("goes as the docs say", async () => {
    const ws = freshWorkspace();
    const base = { plan: "base", seats: 1 };
    await setup(ws, { plan: "pro", seats: 2, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 1_000);
    await setClock(ws, Z("2026-07-22"));
    await subscribe(ws, { ...base, periodAnchor: Z("2026-07-22") });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-22"),
      nextResetAt: Z("2026-08-22"),
      used: 0,
      monthlyBalance: 750,
    });
    await setClock(ws, Z("2026-07-25"));
    await subscribe(ws, { ...base, periodAnchor: Z("2026-07-15") });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-25"),
      nextResetAt: Z("2026-08-15"),
      used: 0,
    });
    await setClock(ws, Z("2026-07-30"));
    await subscribe(ws, { ...base, periodAnchor: Z("2026-09-15") });
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-25"),
      nextResetAt: Z("2026-08-15"),
    });
    expect(
      (await resets(ws)).map((r) => [
        r.at,
        r.previousPeriodStart,
        r.previousUsed,
        r.previousBalance,
        r.expired,
      ]),
    ).toEqual([
      [Z("2026-07-22"), Z("2026-07-15"), 1_000, 4_500, 3_500],
      [Z("2026-07-25"), Z("2026-07-22"), 0, 750, 750],
    ]);
  });
});

describe("a workspace whose schedule was stored before periods carried their end", () => {
  it("keeps its period and renews from it", async () => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    await consume(ws, "ai_rewriter", 300);
    // The stored form of the previous release: the anchor and the period start, no end.
    await inObject(ws, (sql) =>
      sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'credits.period'",
        JSON.stringify({ anchor: Date.parse(Z("2026-07-15")), start: Date.parse(Z("2026-07-15")) }),
      ),
    );
    expect(await period(ws)).toMatchObject({
      periodStart: Z("2026-07-15"),
      nextResetAt: Z("2026-08-15"),
      used: 300,
    });
    await setClock(ws, Z("2026-08-16"));
    expect((await resets(ws)).map((r) => [r.at, r.previousUsed])).toEqual([[Z("2026-08-15"), 300]]);
  });
});

describe("instants on the wire lie between 1970 and 9999", () => {
  const subscription = (periodAnchor: string, subscribedAt?: string) => ({
    plan: "base",
    seats: 1,
    periodAnchor,
    ...(subscribedAt === undefined ? {} : { subscribedAt }),
  });
  const cases: [string, string, (ws: string, at: string) => ReturnType<typeof call>][] = [
    ["periodAnchor", "periodAnchor", (ws, at) => subscribe(ws, subscription(at))],
    ["subscribedAt", "subscribedAt", (ws, at) => subscribe(ws, subscription(Z("2026-07-15"), at))],
    [
      "a package's expiresAt",
      "expiresAt",
      (ws, at) => postPackage(ws, { id: "p", credits: 10, expiresAt: at }),
    ],
    [
      "a channel's connectedAt",
      "connectedAt",
      (ws, at) =>
        call("POST", `/v1/workspaces/${ws}/channels/whatsapp`, {
          body: { id: "n1", connectedAt: at },
        }),
    ],
    ["the test clock's now", "now", (ws, at) => setClock(ws, at)],
  ];

  it.each(
    cases.flatMap(([name, field, send]) =>
      [
        "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
        "9999-12-31T23:00:00-05:00", // year 10000 in UTC
        "10000-01-01T00:00:00Z",
      ].map((at) => [name, at, field, send] as const),
    ),
  )("%s %s is a 400 that names the field", async (_, at, field, send) => {
    const ws = freshWorkspace();
    await setup(ws, { plan: "base", seats: 1, periodAnchor: Z("2026-07-15") }, Z("2026-07-20"));
    const before = await period(ws);
    const res = await send(ws, at);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("invalid_request");
    expect(res.json.error.details).toEqual([expect.objectContaining({ path: field })]);
    expect(await period(ws)).toEqual(before);
  });

  it.each([["1970-01-01T00:00:00.000Z"], ["9999-12-31T23:59:59.999Z"]])(
    "%s, at a bound, is accepted",
    async (at) => {
      const ws = freshWorkspace();
      await setClock(ws, Z("2026-07-20"));
      const res = await subscribe(ws, subscription(at));
      expect(res.status).toBe(200);
      expect(res.json.periodAnchor).toBe(at);
    },
  );
});
