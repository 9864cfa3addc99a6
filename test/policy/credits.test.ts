import { describe, expect, it } from "vitest";
import type { Subscription } from "../../src/policy/catalogue";
import {
  closable,
  closedFigures,
  commitFigures,
  decideQuestion,
  decideSpend,
  estimatedRequests,
  type FeatureUse,
  percentUsed,
  planOffering,
  type Reservation,
  reachedThresholds,
  resetEvent,
  type SpendInput,
  stateAt,
} from "../../src/policy/credits";

const period = {
  start: Date.parse("2026-07-15T00:00:00Z"),
  end: Date.parse("2026-08-15T00:00:00Z"),
};

const feature = (over: Partial<FeatureUse> = {}): FeatureUse => ({
  feature: "ai_rewriter",
  used: 0,
  held: 0,
  limit: null,
  inPlan: true,
  ...over,
});

const input = (over: Partial<SpendInput> = {}): SpendInput => ({
  feature: feature(),
  pool: { balance: 6_750, used: 0, held: 0 },
  credits: 10,
  period,
  plan: "pro",
  ...over,
});

describe("decideSpend", () => {
  it.each([
    // description, input, allowed, reason
    ["fits the pool", {}, true, undefined],
    [
      "exactly the remaining",
      { pool: { balance: 100, used: 60, held: 30 }, credits: 10 },
      true,
      undefined,
    ],
    [
      "one over the remaining",
      { pool: { balance: 100, used: 60, held: 31 } },
      false,
      "insufficient_credits",
    ],
    [
      "pool overdrawn",
      { pool: { balance: 100, used: 120, held: 0 }, credits: 1 },
      false,
      "insufficient_credits",
    ],
    [
      "exactly the feature's cap",
      { feature: feature({ limit: 30, used: 15, held: 5 }) },
      true,
      undefined,
    ],
    [
      "one over the cap",
      { feature: feature({ limit: 30, used: 15, held: 6 }) },
      false,
      "feature_limit_reached",
    ],
    [
      "cap 0 stops the feature",
      { feature: feature({ limit: 0 }), credits: 1 },
      false,
      "feature_limit_reached",
    ],
    [
      "cap below use",
      { feature: feature({ limit: 5, used: 8 }), credits: 1 },
      false,
      "feature_limit_reached",
    ],
    ["not in the plan", { feature: feature({ inPlan: false }) }, false, "feature_not_in_plan"],
    // Order: the plan first, then the pool, then the cap.
    [
      "plan before pool",
      { feature: feature({ inPlan: false }), pool: { balance: 0, used: 0, held: 0 } },
      false,
      "feature_not_in_plan",
    ],
    [
      "pool before cap",
      { feature: feature({ limit: 0 }), pool: { balance: 5, used: 5, held: 0 } },
      false,
      "insufficient_credits",
    ],
  ] as const)("%s", (_name, over, allowed, reason) => {
    const d = decideSpend(input(over as Partial<SpendInput>), "check");
    expect(d.allowed).toBe(allowed);
    expect(d.reason).toBe(reason);
  });

  it("answers the figures after a debit, and unchanged figures for a check or a refusal", () => {
    const base = input({
      feature: feature({ limit: 100, used: 20, held: 10 }),
      pool: { balance: 1_000, used: 200, held: 50 },
    });
    expect(decideSpend(base, "debit")).toMatchObject({
      allowed: true,
      used: 210,
      held: 50,
      remaining: 740,
      featureUsed: 30,
      featureHeld: 10,
      featureRemaining: 60,
      featureLimit: 100,
      monthlyBalance: 1_000,
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
    });
    expect(decideSpend(base, "hold")).toMatchObject({
      used: 200,
      held: 60,
      remaining: 740,
      featureHeld: 20,
    });
    expect(decideSpend(base, "check")).toMatchObject({
      used: 200,
      held: 50,
      remaining: 750,
      featureRemaining: 70,
    });
    const refused = decideSpend({ ...base, credits: 71 }, "debit");
    expect(refused).toMatchObject({
      allowed: false,
      used: 200,
      held: 50,
      remaining: 750,
      featureRemaining: 70,
    });
  });

  it("writes messages a person can read, with the figures and what to do", () => {
    const poor = decideSpend(
      input({ pool: { balance: 6_750, used: 6_740, held: 0 }, credits: 30 }),
      "debit",
    );
    expect(poor.message).toBe(
      "Not enough AI credits: AI rewriter needs 30 credits, but only 10 of 6,750 credits remain this period. Credits renew on 2026-08-15 00:00 UTC; add seats or a credit package for more now.",
    );
    const capped = decideSpend(input({ feature: feature({ limit: 100, used: 96 }) }), "debit");
    expect(capped.message).toBe(
      "AI rewriter has reached its limit for this period: it needs 10 credits, and 4 of its 100 credits remain. An admin can raise the limit; usage resets on 2026-08-15 00:00 UTC.",
    );
    const stopped = decideSpend(input({ feature: feature({ limit: 0 }) }), "debit");
    expect(stopped.message).toContain("stopped");
    const gated = decideSpend(
      input({
        feature: feature({ feature: "copilot_analyst", inPlan: false }),
        plan: "advanced",
        upgradeTo: "pro",
      }),
      "debit",
    );
    expect(gated).toMatchObject({ reason: "feature_not_in_plan", upgradeTo: "pro" });
    expect(gated.message).toBe(
      "Copilot analyst mode is not included in this workspace's advanced plan. Upgrade to pro to use it.",
    );
    expect(decideSpend(input(), "debit").message).toBe(
      "Spent 10 credits on AI rewriter; 6,740 of 6,750 credits remain until 2026-08-15 00:00 UTC.",
    );
  });
});

describe("planOffering", () => {
  const sub = (
    plan: Subscription["plan"],
    subscribedAt = Date.parse("2026-07-01T00:00:00Z"),
  ): Subscription => ({
    workspaceId: "w",
    plan,
    seats: 1,
    periodAnchor: subscribedAt,
    subscribedAt,
    overrides: {},
    updatedAt: subscribedAt,
  });
  it.each([
    ["base", "ai_agent", "advanced"],
    ["base", "copilot_analyst", "pro"],
    ["advanced", "copilot_analyst", "pro"],
    ["enterprise", "copilot_analyst", "pro"],
    ["pro", "copilot_analyst", undefined],
  ] as const)("%s without %s → %s", (plan, f, expected) => {
    expect(planOffering(f, sub(plan))).toBe(expected);
  });
});

describe("figures", () => {
  it.each([
    ["ai_rewriter", 100, 100],
    ["ai_summarize", 101, 50],
    ["ai_agent", 100, 33],
    ["copilot_analyst", 4, 0],
    ["copilot", null, null],
  ] as const)("estimatedRequests(%s, %s) = %s", (f, limit, expected) => {
    expect(estimatedRequests(f, limit)).toBe(expected);
  });

  it.each([
    [0, 6_750, 0],
    [1_800, 2_250, 80],
    [2_000, 6_000, 33.33],
    [2_500, 2_250, 111.11],
    [0, 0, 0],
    [5, 0, 100],
  ])("percentUsed(%i, %i) = %s", (used, balance, expected) => {
    expect(percentUsed(used, balance)).toBe(expected);
  });

  it.each([
    [1_799, 2_250, []],
    [1_800, 2_250, [80]],
    [2_249, 2_250, [80]],
    [2_250, 2_250, [80, 100]],
    [3_000, 2_250, [80, 100]],
    [0, 0, []],
    [1, 0, [80, 100]],
  ])("reachedThresholds(%i, %i) = %j", (used, balance, expected) => {
    expect(reachedThresholds(used, balance)).toEqual(expected);
  });
});

describe("Copilot Kommo questions", () => {
  it.each([
    [0, 200, true, 1, 199],
    [199, 200, true, 200, 0],
    [200, 200, false, 200, 0],
    [5, null, true, 6, null],
    [0, 0, false, 0, 0],
  ] as const)(
    "used %i of %s → allowed %s, used %i, remaining %s",
    (used, limit, allowed, after, remaining) => {
      const d = decideQuestion(used, limit, period);
      expect(d).toMatchObject({ allowed, used: after, remaining, limit });
      expect(d.reason).toBe(allowed ? undefined : "question_limit_reached");
    },
  );
});

describe("reservations", () => {
  const r = (over: Partial<Reservation> = {}): Reservation => ({
    id: "rsv_1",
    feature: "ai_agent",
    credits: 30,
    state: "open",
    createdAt: 0,
    expiresAt: 60_000,
    charged: null,
    closedAt: null,
    ...over,
  });

  it.each([
    [r(), 59_999, undefined],
    [r(), 60_000, "reservation_expired"],
    [r({ state: "expired" }), 1, "reservation_expired"],
    [r({ state: "committed", charged: 30 }), 1, "reservation_already_committed"],
    [r({ state: "released" }), 1, "reservation_already_released"],
    [undefined, 1, "reservation_not_found"],
  ] as const)("closable %# → %s", (res, now, code) => {
    const answer = closable(res, now);
    expect(answer.ok ? undefined : answer.error.code).toBe(code);
  });

  it("treats a hold as expired from its expiry instant, before settle applies it", () => {
    expect(stateAt(r(), 59_999)).toBe("open");
    expect(stateAt(r(), 60_000)).toBe("expired");
    expect(stateAt(r({ state: "committed" }), 120_000)).toBe("committed");
  });

  it.each([
    [30, 25, 25, 0],
    [30, 30, 30, 0],
    [30, 42, 42, 12],
    [30, 0, 0, 0],
  ])("reserved %i, actual %i → charged %i, overrun %i", (reserved, actual, charged, overrun) => {
    expect(commitFigures(reserved, actual)).toEqual({ charged, overrun });
  });
});

describe("events", () => {
  it("reports what a renewal let expire", () => {
    const e = resetEvent(period.end, Date.parse("2026-09-15T00:00:00Z"), {
      start: period.start,
      used: 1_800,
      balance: 2_250,
    });
    expect(e).toEqual({
      type: "credits.reset",
      at: period.end,
      data: {
        periodStart: "2026-08-15T00:00:00.000Z",
        nextResetAt: "2026-09-15T00:00:00.000Z",
        previousPeriodStart: "2026-07-15T00:00:00.000Z",
        previousUsed: 1_800,
        previousBalance: 2_250,
        expired: 450,
      },
    });
  });
});

describe("closedFigures", () => {
  it.each([
    // [pool, feature, remaining, featureRemaining]
    [{ balance: 1_000, used: 300, held: 50 }, feature({ used: 40, held: 10 }), 650, null],
    [{ balance: 1_000, used: 1_100, held: 0 }, feature({ used: 90, limit: 80 }), -100, -10],
    [{ balance: 0, used: 0, held: 0 }, feature({ limit: 0 }), 0, 0],
  ] as const)("pool %o, feature %o", (pool, f, remaining, featureRemaining) => {
    expect(closedFigures(pool, f, period)).toEqual({
      monthlyBalance: pool.balance,
      used: pool.used,
      held: pool.held,
      remaining,
      featureLimit: f.limit,
      featureUsed: f.used,
      featureHeld: f.held,
      featureRemaining,
      periodStart: "2026-07-15T00:00:00.000Z",
      nextResetAt: "2026-08-15T00:00:00.000Z",
    });
  });
});
