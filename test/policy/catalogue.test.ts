import { describe, expect, it } from "vitest";
import {
  AI_FEATURES,
  effectiveLimits,
  type Overrides,
  type Plan,
  type Subscription,
  subscribedAtOf,
} from "../../src/policy/catalogue";

const AFTER_CUTOVER = Date.UTC(2026, 6, 15);
const BEFORE_CUTOVER = Date.UTC(2026, 4, 31, 23, 59, 59, 999);

function sub(plan: Plan, seats: number, extra: Partial<Subscription> = {}): Subscription {
  return {
    workspaceId: "w",
    plan,
    seats,
    periodAnchor: AFTER_CUTOVER,
    subscribedAt: AFTER_CUTOVER,
    overrides: {},
    updatedAt: AFTER_CUTOVER,
    ...extra,
  };
}

describe("plan catalogue: effective limits per plan and seat count", () => {
  // plan, seats, leads, contacts+companies, credits, active agents, channels, copilot questions
  const table: [Plan, number, number, number, number, number | null, number | null, number][] = [
    ["base", 2, 5_000, 25_000, 1_500, 0, 2, 100],
    ["base", 1, 2_500, 12_500, 750, 0, 1, 100],
    ["advanced", 1, 5_000, 25_000, 1_250, 3, 3, 150],
    ["advanced", 2, 10_000, 50_000, 2_500, 3, 3, 150],
    ["advanced", 3, 15_000, 75_000, 3_750, 3, 3, 150],
    ["advanced", 5, 25_000, 125_000, 6_250, 3, 5, 150],
    ["pro", 3, 30_000, 150_000, 6_750, 50, null, 200],
    ["pro", 100, 1_000_000, 5_000_000, 225_000, 50, null, 200],
    ["enterprise", 2, 20_000, 100_000, 4_500, 500, null, 200],
    ["trial", 1, 10_000, 50_000, 1_800, 50, null, 100],
    ["partner", 4, 40_000, 200_000, 9_000, 50, null, 200],
    ["shopify", 2, 5_000, 25_000, 1_500, 1, 2, 100],
  ];
  it.each(table)(
    "%s × %i seats: %i leads, %i contacts+companies, %i credits, %s agents, %s channels, %i questions",
    (plan, seats, leads, contacts, credits, agents, channels, questions) => {
      const l = effectiveLimits(sub(plan, seats));
      expect(l.leads).toBe(leads);
      expect(l.contactsAndCompanies).toBe(contacts);
      expect(l.includedCredits).toBe(credits);
      expect(l.activeAgents).toBe(agents);
      expect(l.whatsapp).toBe(channels);
      expect(l.instagram).toBe(channels);
      expect(l.copilotQuestions).toBe(questions);
      expect(l.totalAgents).toBe(500);
    },
  );

  it.each([
    ["base", BEFORE_CUTOVER, 1],
    ["base", AFTER_CUTOVER, 0],
    ["enterprise", BEFORE_CUTOVER, 1],
    ["enterprise", AFTER_CUTOVER, 500],
    ["advanced", BEFORE_CUTOVER, 3],
    ["pro", BEFORE_CUTOVER, 50],
  ] as const)("%s subscribed at %i allows %i active agents (legacy rule)", (plan, at, agents) => {
    expect(effectiveLimits(sub(plan, 1, { subscribedAt: at })).activeAgents).toBe(agents);
  });

  it("the cut-over instant itself is not legacy", () => {
    expect(
      effectiveLimits(sub("base", 1, { subscribedAt: Date.UTC(2026, 5, 1) })).activeAgents,
    ).toBe(0);
  });

  it.each([
    ["pro", AFTER_CUTOVER, [...AI_FEATURES]],
    ["advanced", AFTER_CUTOVER, AI_FEATURES.filter((f) => f !== "copilot_analyst")],
    ["base", AFTER_CUTOVER, AI_FEATURES.filter((f) => f !== "copilot_analyst" && f !== "ai_agent")],
    ["base", BEFORE_CUTOVER, AI_FEATURES.filter((f) => f !== "copilot_analyst")],
    ["shopify", AFTER_CUTOVER, AI_FEATURES.filter((f) => f !== "copilot_analyst")],
  ] as const)("%s (subscribed %i) has features %j", (plan, at, features) => {
    expect(effectiveLimits(sub(plan, 1, { subscribedAt: at })).features).toEqual(features);
  });

  it("applies overrides: per-seat ones scale with seats, absolute ones do not, null is unlimited", () => {
    const overrides: Overrides = {
      leadsPerSeat: 7_000,
      contactsAndCompaniesPerSeat: 30_000,
      aiCreditsPerSeat: 3_000,
      activeAgents: 20,
      whatsappNumbers: null,
      instagramAccounts: 9,
      copilotQuestions: null,
    };
    const l = effectiveLimits(sub("enterprise", 4, { overrides }));
    expect(l).toMatchObject({
      leads: 28_000,
      contactsAndCompanies: 120_000,
      includedCredits: 12_000,
      activeAgents: 20,
      whatsapp: null,
      instagram: 9,
      copilotQuestions: null,
    });
  });

  it("an override granting agents on a new base plan makes the AI agent a plan feature", () => {
    const l = effectiveLimits(sub("base", 1, { overrides: { activeAgents: 2 } }));
    expect(l.features).toContain("ai_agent");
    expect(
      effectiveLimits(sub("pro", 1, { overrides: { activeAgents: 0 } })).features,
    ).not.toContain("ai_agent");
  });
});

describe("subscribedAtOf: the start a subscription keeps", () => {
  const anchor = Date.UTC(2026, 0, 15);
  it.each([
    // [given, stored, expected]
    [Date.UTC(2025, 5, 1), undefined, Date.UTC(2025, 5, 1)],
    [Date.UTC(2025, 5, 1), Date.UTC(2024, 0, 1), Date.UTC(2025, 5, 1)],
    [undefined, Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1)],
    [undefined, undefined, anchor],
  ] as const)("given %s, stored %s → %s", (given, stored, expected) => {
    expect(subscribedAtOf(given, stored, anchor)).toBe(expected);
  });
});
