import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion,
  type EffectiveLimits,
  effectiveLimits,
  MAX_AGENTS_PER_WORKSPACE,
  type Plan,
  type Subscription,
  UPGRADE_ORDER,
} from "./catalogue";
import type { PolicyEvent } from "./events";

/**
 * An agent is created as a draft, and moves between active and offline
 * (docs/rules.md, "AI agents").
 */
export const AGENT_STATES = ["draft", "active", "offline"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** Why an agent is offline: an admin turned it off, or a lowered limit did. */
export type OfflineReason = "deactivated" | "limit_lowered";

export const AGENT_NAME_MAX_CHARS = 200;

export interface AgentCounts {
  /** Agents in state `active`: what the plan's active limit counts. */
  active: number;
  /** Agents in every state: what the workspace limit of 500 counts. */
  total: number;
}

export interface AgentRef {
  id: string;
  name: string;
}

export type AgentRefusal = "active_agent_limit" | "feature_not_in_plan" | "workspace_agent_limit";

/**
 * The number of agents that may be active at once; `null` = unlimited. A plan without the
 * `ai_agent` feature allows none, whatever its figure says.
 */
export function activeAgentLimit(limits: EffectiveLimits): number | null {
  return limits.features.includes("ai_agent") ? limits.activeAgents : 0;
}

/** A plan as people read it ("Advanced"), in messages and on the billing page. */
export const planName = (plan: Plan): string => plan.charAt(0).toUpperCase() + plan.slice(1);

const activeFigure = (active: number, limit: number | null): string =>
  limit === null ? `${active} active (no limit)` : `${active} of ${limit} active`;

export interface UpgradeHint {
  plan: Plan;
  /** The active limit the workspace would have on that plan; `null` = unlimited. */
  activeAgents: number | null;
}

/**
 * The cheapest plan above the current one that would allow `wantedActive` active agents, for
 * this subscription's seats and legacy status. Overrides are left out: they are negotiated per
 * plan, and would otherwise mask every plan's own limit. A plan outside the upgrade ladder
 * (trial, partner, shopify) may move to any plan on it.
 */
export function upgradeHint(
  sub: Subscription,
  wantedActive: number,
  version: CatalogueVersion = BUILT_IN_CATALOGUE,
): UpgradeHint | null {
  const from = UPGRADE_ORDER.indexOf(sub.plan);
  for (const plan of UPGRADE_ORDER.slice(from + 1)) {
    const limit = activeAgentLimit(effectiveLimits({ ...sub, plan, overrides: {} }, version));
    if (limit === null || limit >= wantedActive) return { plan, activeAgents: limit };
  }
  return null;
}

// ---- create ------------------------------------------------------------------------------

export type CreateDecision =
  | { kind: "create"; message: string }
  /** The same id with the same name: a retried create, answered as allowed and unchanged. */
  | { kind: "exists"; message: string }
  /** The same id with another name: the client means another agent, an error. */
  | { kind: "conflict"; message: string }
  | { kind: "refused"; reason: "workspace_agent_limit"; message: string };

export function decideCreate(
  request: AgentRef,
  existing: { name: string; state: AgentState } | undefined,
  counts: AgentCounts,
): CreateDecision {
  if (existing !== undefined) {
    return existing.name === request.name
      ? {
          kind: "exists",
          message: `AI agent "${request.id}" already exists (${existing.state}); nothing changed.`,
        }
      : {
          kind: "conflict",
          message: `AI agent "${request.id}" already exists with another name ("${existing.name}"). Use another id, or delete it first.`,
        };
  }
  if (counts.total >= MAX_AGENTS_PER_WORKSPACE) {
    return {
      kind: "refused",
      reason: "workspace_agent_limit",
      message: `This workspace already holds ${counts.total} of ${MAX_AGENTS_PER_WORKSPACE} AI agents, the most a workspace may have in all states together. Delete an agent you no longer need to create another.`,
    };
  }
  return {
    kind: "create",
    message: `AI agent "${request.id}" was created as a draft (${counts.total + 1} of ${MAX_AGENTS_PER_WORKSPACE} agents in this workspace).`,
  };
}

// ---- activate ----------------------------------------------------------------------------

export type ActivationDecision =
  | { kind: "noop"; message: string }
  | { kind: "activate"; message: string }
  | {
      kind: "refused";
      reason: "active_agent_limit" | "feature_not_in_plan";
      message: string;
      upgradeTo: Plan | null;
      events: PolicyEvent[];
    };

/**
 * Activating is allowed while a slot is free. A refusal explains itself with the figures and
 * the cheapest plan that would allow it, and is announced as `agent.activation_refused`.
 */
export function decideActivation(
  agent: AgentRef & { state: AgentState },
  counts: AgentCounts,
  sub: Subscription,
  limits: EffectiveLimits,
  version: CatalogueVersion = BUILT_IN_CATALOGUE,
): ActivationDecision {
  const limit = activeAgentLimit(limits);
  if (agent.state === "active") {
    return {
      kind: "noop",
      message: `AI agent "${agent.id}" is already active (${activeFigure(counts.active, limit)}); nothing changed.`,
    };
  }
  if (limit === null || counts.active < limit) {
    return {
      kind: "activate",
      message: `AI agent "${agent.id}" is active (${activeFigure(counts.active + 1, limit)} on the ${planName(sub.plan)} plan).`,
    };
  }
  const hint = upgradeHint(sub, counts.active + 1, version);
  const upgrade =
    hint === null
      ? "contact us to raise this workspace's limit"
      : `upgrade to ${planName(hint.plan)} (${hint.activeAgents === null ? "no limit on" : `up to ${hint.activeAgents}`} active agents)`;
  const featureMissing = !limits.features.includes("ai_agent");
  const reason = featureMissing ? "feature_not_in_plan" : "active_agent_limit";
  const message = featureMissing
    ? `AI agents are not included in this workspace's ${planName(sub.plan)} plan (${activeFigure(counts.active, limit)}). To activate one, ${upgrade}.`
    : `The active AI agent limit is reached: ${activeFigure(counts.active, limit)} on the ${planName(sub.plan)} plan. Deactivate an active agent to free a slot, or ${upgrade}.`;
  return {
    kind: "refused",
    reason,
    message,
    upgradeTo: hint?.plan ?? null,
    events: [
      {
        type: "agent.activation_refused",
        data: {
          agentId: agent.id,
          name: agent.name,
          reason,
          plan: sub.plan,
          active: counts.active,
          limit,
          upgradeTo: hint?.plan ?? null,
        },
      },
    ],
  };
}

// ---- deactivate --------------------------------------------------------------------------

export type DeactivationDecision =
  | { kind: "noop"; message: string }
  | { kind: "deactivate"; message: string };

/** Only an active agent changes: a draft stays a draft, an offline agent stays offline. */
export function decideDeactivation(
  agent: AgentRef & { state: AgentState },
  counts: AgentCounts,
  limits: EffectiveLimits,
): DeactivationDecision {
  const limit = activeAgentLimit(limits);
  if (agent.state !== "active") {
    return {
      kind: "noop",
      message: `AI agent "${agent.id}" is not active (${agent.state}); nothing changed.`,
    };
  }
  return {
    kind: "deactivate",
    message: `AI agent "${agent.id}" is offline; its slot is free (${activeFigure(counts.active - 1, limit)}).`,
  };
}

// ---- a lowered limit ---------------------------------------------------------------------

/** How many active agents must go offline for the active count to fit the limit. */
export function excessActive(active: number, limit: number | null): number {
  return limit === null ? 0 : Math.max(0, active - limit);
}

/**
 * After a downgrade (or an override) below the active count, the agents activated last go
 * offline until the count fits (docs/rules.md, "AI agents", a decision). `lastActivatedFirst` are
 * the active agents, most recently activated first; the answer names those to turn off, with
 * an event each.
 */
export function fitToLimit(
  lastActivatedFirst: readonly AgentRef[],
  counts: AgentCounts,
  sub: Subscription,
  limits: EffectiveLimits,
): { offline: AgentRef[]; events: PolicyEvent[] } {
  const limit = activeAgentLimit(limits);
  const offline = lastActivatedFirst.slice(0, excessActive(counts.active, limit));
  return {
    offline,
    events: offline.map((agent) => ({
      type: "agent.deactivated" as const,
      data: {
        agentId: agent.id,
        name: agent.name,
        reason: "limit_lowered",
        plan: sub.plan,
        limit,
      },
    })),
  };
}
