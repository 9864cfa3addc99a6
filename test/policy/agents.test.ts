import { describe, expect, it } from "vitest";
import {
  type AgentState,
  activeAgentLimit,
  decideActivation,
  decideCreate,
  decideDeactivation,
  excessActive,
  fitToLimit,
  upgradeHint,
} from "../../src/policy/agents";
import {
  effectiveLimits,
  type Overrides,
  type Plan,
  type Subscription,
} from "../../src/policy/catalogue";

const AFTER_CUTOVER = Date.UTC(2026, 6, 15);
const BEFORE_CUTOVER = Date.UTC(2026, 4, 31, 23, 59, 59, 999);

function sub(
  plan: Plan,
  opts: { legacy?: boolean; overrides?: Overrides; seats?: number } = {},
): Subscription {
  const subscribedAt = opts.legacy ? BEFORE_CUTOVER : AFTER_CUTOVER;
  return {
    workspaceId: "w",
    plan,
    seats: opts.seats ?? 2,
    periodAnchor: AFTER_CUTOVER,
    subscribedAt,
    overrides: opts.overrides ?? {},
    updatedAt: AFTER_CUTOVER,
  };
}

const agent = (state: AgentState) => ({ id: "a7", name: "Launch", state });

// docs/rules.md, "Plans"
describe("active agent limit by plan", () => {
  it.each([
    ["trial", false, 50],
    ["base", false, 0],
    ["base", true, 1],
    ["advanced", false, 3],
    ["advanced", true, 3],
    ["pro", false, 50],
    ["enterprise", false, 500],
    ["enterprise", true, 1],
    ["partner", false, 50],
    ["shopify", false, 1],
  ] as const)("%s (legacy %s): %i", (plan, legacy, limit) => {
    expect(activeAgentLimit(effectiveLimits(sub(plan, { legacy })))).toBe(limit);
  });

  it("applies overrides, null meaning unlimited", () => {
    expect(
      activeAgentLimit(effectiveLimits(sub("advanced", { overrides: { activeAgents: 7 } }))),
    ).toBe(7);
    expect(
      activeAgentLimit(effectiveLimits(sub("advanced", { overrides: { activeAgents: null } }))),
    ).toBeNull();
    expect(activeAgentLimit(effectiveLimits(sub("pro", { overrides: { activeAgents: 0 } })))).toBe(
      0,
    );
  });
});

describe("upgrade hint: the cheapest plan above that allows one more active agent", () => {
  it.each([
    // plan, legacy, wanted active, hint plan, hint limit
    ["base", false, 1, "advanced", 3],
    ["base", true, 2, "advanced", 3],
    ["advanced", false, 4, "pro", 50],
    ["pro", false, 51, "enterprise", 500],
    ["enterprise", false, 501, null, null],
    // A legacy enterprise workspace keeps 1; nothing above enterprise would allow 2.
    ["enterprise", true, 2, null, null],
    // Off the ladder: any plan on it, cheapest first (legacy base would allow only 1).
    ["shopify", false, 2, "advanced", 3],
    ["shopify", true, 2, "advanced", 3],
    ["trial", false, 51, "enterprise", 500],
    ["partner", false, 4, "pro", 50],
    ["partner", false, 51, "enterprise", 500],
  ] as const)("%s (legacy %s) wanting %i → %s", (plan, legacy, wanted, hintPlan, hintLimit) => {
    const hint = upgradeHint(sub(plan, { legacy }), wanted);
    expect(hint).toEqual(hintPlan === null ? null : { plan: hintPlan, activeAgents: hintLimit });
  });

  it("ignores the workspace's overrides when pricing another plan", () => {
    const s = sub("advanced", { overrides: { activeAgents: 1 } });
    expect(upgradeHint(s, 2)).toEqual({ plan: "pro", activeAgents: 50 });
  });
});

describe("creating an agent", () => {
  it.each([
    [0, "create"],
    [499, "create"],
    [500, "refused"],
  ] as const)("with %i agents: %s", (total, kind) => {
    const d = decideCreate({ id: "n", name: "N" }, undefined, { active: 0, total });
    expect(d.kind).toBe(kind);
    if (d.kind === "refused") {
      expect(d.reason).toBe("workspace_agent_limit");
      expect(d.message).toContain("500 of 500");
    }
  });

  it("answers a retried create (same id and name) as existing, even at the workspace limit", () => {
    const d = decideCreate(
      { id: "a", name: "Sales" },
      { name: "Sales", state: "active" },
      { active: 1, total: 500 },
    );
    expect(d.kind).toBe("exists");
  });

  it("treats the same id with another name as a conflict", () => {
    const d = decideCreate(
      { id: "a", name: "Support" },
      { name: "Sales", state: "draft" },
      { active: 0, total: 1 },
    );
    expect(d.kind).toBe("conflict");
    expect(d.message).toContain('"Sales"');
  });
});

describe("activating an agent", () => {
  it.each([
    // plan, legacy, state, active, kind, reason, upgradeTo
    ["advanced", false, "draft", 2, "activate", undefined, undefined],
    ["advanced", false, "draft", 3, "refused", "active_agent_limit", "pro"],
    ["advanced", false, "offline", 3, "refused", "active_agent_limit", "pro"],
    ["advanced", false, "active", 3, "noop", undefined, undefined],
    ["base", false, "draft", 0, "refused", "feature_not_in_plan", "advanced"],
    ["base", true, "draft", 0, "activate", undefined, undefined],
    ["base", true, "draft", 1, "refused", "active_agent_limit", "advanced"],
    ["enterprise", true, "draft", 1, "refused", "active_agent_limit", null],
    ["enterprise", false, "draft", 499, "activate", undefined, undefined],
    ["shopify", false, "offline", 1, "refused", "active_agent_limit", "advanced"],
    ["pro", false, "draft", 50, "refused", "active_agent_limit", "enterprise"],
  ] as const)(
    "%s (legacy %s), %s agent, %i active → %s %s",
    (plan, legacy, state, active, kind, reason, upgradeTo) => {
      const s = sub(plan, { legacy });
      const d = decideActivation(agent(state), { active, total: 10 }, s, effectiveLimits(s));
      expect(d.kind).toBe(kind);
      if (d.kind === "refused") {
        expect(d.reason).toBe(reason);
        expect(d.upgradeTo).toBe(upgradeTo);
        expect(d.events).toHaveLength(1);
        expect(d.events[0]?.type).toBe("agent.activation_refused");
        expect(d.events[0]?.data).toMatchObject({ agentId: "a7", reason, active, upgradeTo });
      }
    },
  );

  it("explains an active-limit refusal with the figures and the upgrade", () => {
    const s = sub("advanced");
    const d = decideActivation(agent("draft"), { active: 3, total: 6 }, s, effectiveLimits(s));
    expect(d.message).toBe(
      "The active AI agent limit is reached: 3 of 3 active on the Advanced plan. Deactivate an active agent to free a slot, or upgrade to Pro (up to 50 active agents).",
    );
  });

  it("explains a plan without AI agents", () => {
    const s = sub("base");
    const d = decideActivation(agent("draft"), { active: 0, total: 1 }, s, effectiveLimits(s));
    expect(d.message).toBe(
      "AI agents are not included in this workspace's Base plan (0 of 0 active). To activate one, upgrade to Advanced (up to 3 active agents).",
    );
  });

  it("says whom to ask when no plan would allow it", () => {
    const s = sub("enterprise", { legacy: true });
    const d = decideActivation(agent("draft"), { active: 1, total: 2 }, s, effectiveLimits(s));
    expect(d.message).toContain("1 of 1 active");
    expect(d.message).toContain("contact us to raise this workspace's limit");
  });

  it("never refuses an unlimited override", () => {
    const s = sub("advanced", { overrides: { activeAgents: null } });
    const d = decideActivation(agent("draft"), { active: 499, total: 500 }, s, effectiveLimits(s));
    expect(d.kind).toBe("activate");
    expect(d.message).toContain("500 active (no limit)");
  });

  it("treats an override of 0 as a plan without the AI agent", () => {
    const s = sub("pro", { overrides: { activeAgents: 0 } });
    const d = decideActivation(agent("draft"), { active: 0, total: 1 }, s, effectiveLimits(s));
    expect(d.kind === "refused" && d.reason).toBe("feature_not_in_plan");
    expect(d.kind === "refused" && d.upgradeTo).toBe("enterprise");
  });
});

describe("deactivating an agent", () => {
  it.each([
    ["active", "deactivate"],
    ["draft", "noop"],
    ["offline", "noop"],
  ] as const)("%s → %s", (state, kind) => {
    const s = sub("advanced");
    expect(decideDeactivation(agent(state), { active: 3, total: 3 }, effectiveLimits(s)).kind).toBe(
      kind,
    );
  });
});

describe("fitting active agents to a lowered limit", () => {
  it.each([
    [5, 3, 2],
    [3, 3, 0],
    [2, 3, 0],
    [5, 0, 5],
    [5, null, 0],
  ] as const)("%i active, limit %s: %i go offline", (active, limit, excess) => {
    expect(excessActive(active, limit)).toBe(excess);
  });

  it("turns off the last activated first, with one agent.deactivated each", () => {
    const s = sub("advanced");
    const lastFirst = [
      { id: "e", name: "E" },
      { id: "d", name: "D" },
    ];
    const step = fitToLimit(lastFirst, { active: 5, total: 6 }, s, effectiveLimits(s));
    expect(step.offline.map((a) => a.id)).toEqual(["e", "d"]);
    expect(step.events).toEqual([
      {
        type: "agent.deactivated",
        data: { agentId: "e", name: "E", reason: "limit_lowered", plan: "advanced", limit: 3 },
      },
      {
        type: "agent.deactivated",
        data: { agentId: "d", name: "D", reason: "limit_lowered", plan: "advanced", limit: 3 },
      },
    ]);
  });

  it("does nothing when the count fits", () => {
    const s = sub("pro");
    const step = fitToLimit(
      [{ id: "a", name: "A" }],
      { active: 5, total: 5 },
      s,
      effectiveLimits(s),
    );
    expect(step).toEqual({ offline: [], events: [] });
  });
});
