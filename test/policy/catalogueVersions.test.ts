import { describe, expect, it } from "vitest";
import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion,
  effectiveLimits,
  isGrandfathered,
  isLegacy,
  nextVersionAt,
  type Subscription,
  versionFor,
} from "../../src/policy/catalogue";
import { CatalogueDraftInput } from "../../src/schemas/catalogue";

/**
 * The articles' June 1, 2026 change replayed as data (docs/catalogue.md): a version before it
 * (every Base account with one AI agent, channels unlimited, no legacy terms) and the built-in
 * `2026-06`, for accounts subscribed and channels connected before and after.
 */
const BEFORE_JUNE: CatalogueVersion = (() => {
  const v = structuredClone(BUILT_IN_CATALOGUE);
  v.id = "2026-01";
  v.effectiveAt = "2026-01-01T00:00:00.000Z";
  for (const plan of Object.values(v.plans)) {
    plan.legacy = null;
    plan.connectedBefore = null;
    plan.channels = null;
  }
  v.plans.base.activeAgents = 1;
  return v;
})();
const SCHEDULE = [BEFORE_JUNE, BUILT_IN_CATALOGUE];
const JUNE_1 = Date.parse("2026-06-01T00:00:00.000Z");

const base = (subscribedAt: string): Subscription => ({
  workspaceId: "w",
  plan: "base",
  seats: 2,
  periodAnchor: Date.parse(subscribedAt),
  subscribedAt: Date.parse(subscribedAt),
  overrides: {},
  updatedAt: 0,
});

describe("the June 1 change as data", () => {
  it.each([
    // subscribed, now, version, active agents, agent feature, channels
    ["2026-03-01T00:00:00Z", JUNE_1 - 1, "2026-01", 1, true, null],
    ["2026-03-01T00:00:00Z", JUNE_1, "2026-06", 1, true, 2],
    ["2026-06-02T00:00:00Z", JUNE_1 + 2 * 86_400_000, "2026-06", 0, false, 2],
    ["2026-05-31T23:59:59.999Z", JUNE_1, "2026-06", 1, true, 2],
    ["2026-06-01T00:00:00Z", JUNE_1, "2026-06", 0, false, 2],
  ] as const)(
    "Base subscribed %s, at %i: version %s, %i active agents, agent feature %s, %s channels",
    (subscribedAt, now, id, agents, agentFeature, channels) => {
      const sub = base(subscribedAt);
      const version = versionFor(SCHEDULE, sub, now);
      expect(version.id).toBe(id);
      const limits = effectiveLimits(sub, version);
      expect(limits.activeAgents).toBe(agents);
      expect(limits.features.includes("ai_agent")).toBe(agentFeature);
      expect(limits.whatsapp).toBe(channels);
      expect(limits.catalogueVersion).toBe(id);
    },
  );

  it("grandfathers channels connected before June 1 under 2026-06, none under the version before", () => {
    const june = BUILT_IN_CATALOGUE.plans.base;
    expect(isGrandfathered(JUNE_1 - 1, june)).toBe(true);
    expect(isGrandfathered(JUNE_1, june)).toBe(false);
    expect(isGrandfathered(JUNE_1 - 1, BEFORE_JUNE.plans.base)).toBe(false);
  });

  it("legacy is per version: none before June 1, the cut-over after", () => {
    const sub = base("2026-03-01T00:00:00Z");
    expect(isLegacy(sub, BEFORE_JUNE)).toBe(false);
    expect(isLegacy(sub, BUILT_IN_CATALOGUE)).toBe(true);
  });

  it("switches at the millisecond, and a pin holds whatever is in force", () => {
    const sub = base("2026-07-01T00:00:00Z");
    expect(nextVersionAt(SCHEDULE, sub, JUNE_1 - 1)).toBe(JUNE_1);
    expect(nextVersionAt(SCHEDULE, sub, JUNE_1)).toBeNull();
    const pinned = { ...sub, catalogueVersion: "2026-01" };
    expect(versionFor(SCHEDULE, pinned, JUNE_1 + 1).id).toBe("2026-01");
    expect(nextVersionAt(SCHEDULE, pinned, JUNE_1 - 1)).toBeNull();
  });

  it("the built-in version passes its own schema, and is today's catalogue", () => {
    const { plans, featureCosts } = BUILT_IN_CATALOGUE;
    expect(CatalogueDraftInput.safeParse({ plans, featureCosts }).success).toBe(true);
    const sub = base("2026-07-01T00:00:00Z");
    expect(effectiveLimits(sub, BUILT_IN_CATALOGUE)).toEqual(effectiveLimits(sub));
  });
});
