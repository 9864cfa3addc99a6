import { describe, expect, it } from "vitest";
import { InvariantError } from "../../src/policy/assert";
import { stepChannels } from "../../src/policy/channels";
import { decideSpend, type FeatureUse, type SpendInput } from "../../src/policy/credits";
import { admit, type PoolState, release, settlePool } from "../../src/policy/entities";
import { type Episode, GRACE_MS, OK, stepEpisode } from "../../src/policy/episode";

/**
 * The policy functions assert what must hold of their inputs and outputs (src/policy/assert.ts):
 * fed a state no correct caller can produce, each throws an InvariantError naming the rule
 * instead of answering a figure. Valid inputs are covered by the other policy tests, which
 * run through the same assertions.
 */

const T0 = Date.UTC(2026, 6, 1, 12);
const period = { start: T0, end: T0 + 31 * 24 * 3600_000 };

const feature = (over: Partial<FeatureUse> = {}): FeatureUse => ({
  feature: "ai_rewriter",
  used: 0,
  held: 0,
  limit: null,
  inPlan: true,
  ...over,
});

const spend = (over: Partial<SpendInput> = {}): SpendInput => ({
  feature: feature(),
  pool: { balance: 1_000, used: 0, held: 0 },
  credits: 10,
  period,
  plan: "pro",
  ...over,
});

const pool = (counted: number, blocked = 0, episode: Episode = OK): PoolState => ({
  counted,
  blocked,
  episode,
});
const lead = { kind: "leads" as const, id: "L1" };

const cases: [string, () => unknown, RegExp][] = [
  // Credits: decideSpend.
  [
    "a negative used",
    () => decideSpend(spend({ pool: { balance: 1_000, used: -1, held: 0 } }), "debit"),
    /never negative/,
  ],
  [
    "a fractional held",
    () => decideSpend(spend({ pool: { balance: 1_000, used: 0, held: 0.5 } }), "hold"),
    /whole credits/,
  ],
  ["a negative cap", () => decideSpend(spend({ feature: feature({ limit: -5 }) }), "debit"), /cap/],
  ["a spend of zero credits", () => decideSpend(spend({ credits: 0 }), "debit"), /at least one/],
  [
    "a period ending before it starts",
    () => decideSpend(spend({ period: { start: period.end, end: period.start } }), "check"),
    /period ends after/,
  ],
  // Graces: stepEpisode.
  [
    "a grace ending before it starts",
    () =>
      stepEpisode({ phase: "grace", startedAt: T0, graceEndsAt: T0 - 1 }, "leads", {
        breached: true,
        limit: 5,
        now: T0,
      }),
    /grace ends after it starts/,
  ],
  [
    "a grace longer than 24 hours",
    () =>
      stepEpisode({ phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS + 1 }, "leads", {
        breached: true,
        limit: 5,
        now: T0,
      }),
    /at most 24 hours/,
  ],
  [
    "enforcement dated before its episode",
    () =>
      stepEpisode(
        { phase: "enforced", startedAt: T0, graceEndsAt: T0 + GRACE_MS, enforcedAt: T0 - 1 },
        "leads",
        { breached: true, limit: 5, now: T0 + GRACE_MS },
      ),
    /no sooner than its episode/,
  ],
  // Enforcement: entities.
  ["a negative count", () => settlePool("leads", pool(-1), 5, T0), /never negative/],
  ["a fractional limit", () => admit(lead, pool(1), 2.5, T0), /whole number/],
  [
    "releasing an active entity from a pool that counts none",
    () => release(pool(0, 3), "active"),
    /counts never go negative/,
  ],
  [
    "releasing a blocked entity from a pool that blocks none",
    () => release(pool(4, 0), "blocked"),
    /counts never go negative/,
  ],
  // Enforcement: channels.
  [
    "more grandfathered channels than active ones",
    () => stepChannels("whatsapp", OK, { active: 1, grandfathered: 2 }, 1, T0),
    /grandfathered channels are active/,
  ],
  [
    "a negative channel count",
    () => stepChannels("instagram", OK, { active: -1, grandfathered: 0 }, 1, T0),
    /never negative/,
  ],
];

describe("policy invariants", () => {
  it.each(cases)("refuses %s with an assertion", (_what, call, message) => {
    expect(call).toThrow(InvariantError);
    expect(call).toThrow(message);
  });

  it("holds of a valid history: a pool settles within its limit, a spend within its balance", () => {
    // Over the limit after a grace: the excess is blocked, nothing is lost, counted == limit.
    const grace: Episode = { phase: "grace", startedAt: T0, graceEndsAt: T0 + GRACE_MS };
    const settled = settlePool("leads", pool(8, 0, grace), 5, T0 + GRACE_MS);
    expect(settled.state).toMatchObject({ counted: 5, blocked: 3 });
    // A spend of exactly what remains is allowed; one more credit is refused, not overspent.
    const edge = spend({ pool: { balance: 100, used: 60, held: 30 }, credits: 10 });
    expect(decideSpend(edge, "debit")).toMatchObject({ allowed: true, used: 70, remaining: 0 });
    expect(decideSpend({ ...edge, credits: 11 }, "debit")).toMatchObject({ allowed: false });
  });
});
