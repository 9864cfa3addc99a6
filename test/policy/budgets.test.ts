import { describe, expect, it } from "vitest";
import { stepAlerts } from "../../src/policy/alerts";
import {
  allocate,
  decideBudgetSpend,
  mergeSources,
  splitCommit,
  type Topup,
} from "../../src/policy/budgets";

const NOW = Date.parse("2026-07-20T00:00:00Z");
const DAY = 86_400_000;
const topup = (id: string, credits: number, days: number, used = 0, held = 0): Topup => ({
  id,
  credits,
  used,
  held,
  expiresAt: NOW + days * DAY,
});

describe("allocate: the pool first, then top-ups by earliest expiry", () => {
  it.each([
    { c: 5, pool: 10, topups: [topup("a", 5, 2)], want: [["pool", 5]] },
    {
      c: 12,
      pool: 10,
      topups: [topup("b", 5, 9), topup("a", 5, 2)],
      want: [
        ["pool", 10],
        ["a", 2],
      ],
    },
    {
      c: 7,
      pool: 0,
      topups: [topup("b", 5, 9), topup("a", 5, 2)],
      want: [
        ["a", 5],
        ["b", 2],
      ],
    },
    { c: 3, pool: -4, topups: [topup("a", 5, 2)], want: [["a", 3]] },
    {
      c: 4,
      pool: 0,
      topups: [topup("a", 5, 2, 2, 1)],
      // What no source covers (a commit's overrun) lands on the pool.
      want: [
        ["pool", 2],
        ["a", 2],
      ],
    },
    { c: 4, pool: 1, topups: [topup("x", 9, -1)], want: [["pool", 4]] },
    { c: 2, pool: 0, topups: [topup("b", 5, 2), topup("a", 5, 2)], want: [["a", 2]] },
  ])("$c credits, pool $pool", ({ c, pool, topups, want }) => {
    expect(allocate(c, pool, topups, NOW)).toEqual(want);
  });
});

describe("splitCommit: a charge takes the hold's sources in order, returns the rest", () => {
  it.each([
    {
      held: [
        ["pool", 10],
        ["a", 4],
      ],
      charged: 11,
      paid: [
        ["pool", 10],
        ["a", 1],
      ],
      returned: [["a", 3]],
      more: 0,
    },
    { held: [["a", 5]], charged: 15, paid: [["a", 5]], returned: [], more: 10 },
    { held: [["pool", 3]], charged: 0, paid: [], returned: [["pool", 3]], more: 0 },
  ] as const)("charged $charged", ({ held, charged, paid, returned, more }) => {
    const split = splitCommit(
      held.map(([s, n]) => [s, n]),
      charged,
    );
    expect(split).toEqual({ paid, returned, more });
  });

  it("merges the hold's part and the overrun's", () => {
    expect(
      mergeSources(
        [["a", 5]],
        [
          ["a", 4],
          ["b", 6],
        ],
      ),
    ).toEqual([
      ["a", 9],
      ["b", 6],
    ]);
  });
});

describe("decideBudgetSpend", () => {
  const base = {
    feature: { feature: "ai_rewriter" as const, used: 0, held: 0, limit: null, inPlan: true },
    pool: { balance: 10, used: 8, held: 0 },
    period: { start: NOW - DAY, end: NOW + 20 * DAY },
    plan: "pro" as const,
    now: NOW,
  };
  it.each([
    { c: 2, topups: [], agent: undefined, allowed: true, reason: undefined },
    { c: 3, topups: [], agent: undefined, allowed: false, reason: "insufficient_credits" },
    { c: 3, topups: [topup("a", 1, 3)], agent: undefined, allowed: true, reason: undefined },
    {
      c: 3,
      topups: [topup("a", 5, 3)],
      agent: { agentId: "bot", used: 8, held: 0, limit: 10 },
      allowed: false,
      reason: "agent_limit_reached",
    },
    {
      c: 30,
      topups: [topup("a", 5, 3)],
      agent: { agentId: "bot", used: 8, held: 0, limit: 10 },
      allowed: false,
      reason: "insufficient_credits",
    },
  ])("$c credits → $reason", ({ c, topups, agent, allowed, reason }) => {
    for (const mode of ["check", "debit", "hold"] as const) {
      const { decision, sources } = decideBudgetSpend({ ...base, credits: c, topups, agent }, mode);
      expect(decision.allowed).toBe(allowed);
      expect(decision.reason).toBe(reason);
      expect(decision.remaining).toBe(decision.poolRemaining + decision.topupRemaining);
      expect(sources.reduce((n, [, k]) => n + k, 0)).toBe(allowed && mode !== "check" ? c : 0);
    }
  });
});

describe("stepAlerts", () => {
  const figures = (used: number) => ({
    pool: { balance: 100, used, held: 0 },
    topupRemaining: 0,
    feature: () => undefined,
    agent: () => undefined,
  });
  const rule = {
    id: "r",
    metric: "percentUsed" as const,
    threshold: 50,
    scope: { pool: true as const },
  };
  it.each([
    { used: 49, fired: false, rearm: false, fire: [], rearmed: [] },
    { used: 50, fired: false, rearm: false, fire: ["r"], rearmed: [] },
    { used: 60, fired: true, rearm: false, fire: [], rearmed: [] },
    { used: 40, fired: true, rearm: false, fire: [], rearmed: [] },
    { used: 40, fired: true, rearm: true, fire: [], rearmed: ["r"] },
  ])("used $used, fired $fired, rearm $rearm", ({ used, fired, rearm, fire, rearmed }) => {
    const step = stepAlerts([rule], new Set(fired ? ["r"] : []), figures(used), rearm);
    expect(step.fire.map((f) => f.rule.id)).toEqual(fire);
    expect(step.rearm).toEqual(rearmed);
  });
});
