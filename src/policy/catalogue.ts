import { CUTOVER_AT, type Instant } from "./time";

export const PLANS = [
  "trial",
  "base",
  "advanced",
  "pro",
  "enterprise",
  "partner",
  "shopify",
] as const;
export type Plan = (typeof PLANS)[number];

export const AI_FEATURES = [
  "ai_rewriter",
  "ai_summarize",
  "ai_reply_suggestions",
  "ai_task_suggestions",
  "ai_agent",
  "copilot",
  "copilot_analyst",
] as const;
export type AiFeature = (typeof AI_FEATURES)[number];

/**
 * Platform configuration, not editable by workspace admins: a decision of
 * docs/rules.md, "Plans".
 */
export const AVERAGE_CREDIT_COST: Record<AiFeature, number> = {
  ai_rewriter: 1,
  ai_summarize: 2,
  ai_reply_suggestions: 1,
  ai_task_suggestions: 1,
  ai_agent: 3,
  copilot: 2,
  copilot_analyst: 5,
};

/** Every workspace may hold at most this many AI agents in all states together. */
export const MAX_AGENTS_PER_WORKSPACE = 500;

/** How a channel limit grows with seats; `null` everywhere in this file means unlimited. */
type ChannelRule = { kind: "perSeat" } | { kind: "atLeast"; included: number } | null;

interface PlanDefaults {
  leadsPerSeat: number;
  contactsAndCompaniesPerSeat: number;
  aiCreditsPerSeat: number;
  activeAgents: number | null;
  /** Applies instead of `activeAgents` when the subscription started before the cut-over. */
  legacyActiveAgents?: number | null;
  channels: ChannelRule;
  copilotQuestions: number | null;
  /** Features available only on some plans; all others are on every plan. */
  copilotAnalyst: boolean;
}

const BASE_ENTITIES = { leadsPerSeat: 2_500, contactsAndCompaniesPerSeat: 12_500 };
const PRO_ENTITIES = { leadsPerSeat: 10_000, contactsAndCompaniesPerSeat: 50_000 };

export const CATALOGUE: Record<Plan, PlanDefaults> = {
  trial: {
    ...PRO_ENTITIES,
    aiCreditsPerSeat: 1_800,
    activeAgents: 50,
    channels: null,
    copilotQuestions: 100,
    copilotAnalyst: false,
  },
  base: {
    ...BASE_ENTITIES,
    aiCreditsPerSeat: 750,
    activeAgents: 0,
    legacyActiveAgents: 1,
    channels: { kind: "perSeat" },
    copilotQuestions: 100,
    copilotAnalyst: false,
  },
  advanced: {
    leadsPerSeat: 5_000,
    contactsAndCompaniesPerSeat: 25_000,
    aiCreditsPerSeat: 1_250,
    activeAgents: 3,
    channels: { kind: "atLeast", included: 3 },
    copilotQuestions: 150,
    copilotAnalyst: false,
  },
  pro: {
    ...PRO_ENTITIES,
    aiCreditsPerSeat: 2_250,
    activeAgents: 50,
    channels: null,
    copilotQuestions: 200,
    copilotAnalyst: true,
  },
  enterprise: {
    ...PRO_ENTITIES,
    aiCreditsPerSeat: 2_250,
    activeAgents: 500,
    legacyActiveAgents: 1,
    channels: null,
    copilotQuestions: 200,
    copilotAnalyst: false,
  },
  partner: {
    ...PRO_ENTITIES,
    aiCreditsPerSeat: 2_250,
    activeAgents: 50,
    channels: null,
    copilotQuestions: 200,
    copilotAnalyst: false,
  },
  shopify: {
    ...BASE_ENTITIES,
    aiCreditsPerSeat: 750,
    activeAgents: 1,
    channels: { kind: "perSeat" },
    copilotQuestions: 100,
    copilotAnalyst: false,
  },
};

/** Platform overrides, any subset. Per-seat figures scale with seats; the others are absolute. */
export interface Overrides {
  leadsPerSeat?: number;
  contactsAndCompaniesPerSeat?: number;
  aiCreditsPerSeat?: number;
  activeAgents?: number | null;
  whatsappNumbers?: number | null;
  instagramAccounts?: number | null;
  copilotQuestions?: number | null;
}

export interface Subscription {
  workspaceId: string;
  plan: Plan;
  seats: number;
  periodAnchor: Instant;
  subscribedAt: Instant;
  overrides: Overrides;
  updatedAt: Instant;
}

/**
 * When a subscription started: as given, else as stored, else (a new subscription) its period
 * anchor, since a subscription cannot have started after its first billing period. It decides
 * whether the legacy limits apply (isLegacy).
 */
export const subscribedAtOf = (
  given: Instant | undefined,
  stored: Instant | undefined,
  periodAnchor: Instant,
): Instant => given ?? stored ?? periodAnchor;

export interface EffectiveLimits {
  leads: number;
  contactsAndCompanies: number;
  leadsPerSeat: number;
  contactsAndCompaniesPerSeat: number;
  aiCreditsPerSeat: number;
  /** Included credits per period before add-on packages: per seat × seats. */
  includedCredits: number;
  activeAgents: number | null;
  totalAgents: number;
  whatsapp: number | null;
  instagram: number | null;
  copilotQuestions: number | null;
  features: AiFeature[];
}

export const isLegacy = (sub: Pick<Subscription, "subscribedAt">): boolean =>
  sub.subscribedAt < CUTOVER_AT;

function channelLimit(rule: ChannelRule, seats: number): number | null {
  if (rule === null) return null;
  return rule.kind === "perSeat" ? seats : Math.max(rule.included, seats);
}

/** Picks an override when the platform set one (including an explicit `null` = unlimited). */
function pick<T>(override: T | undefined, fallback: T): T {
  return override === undefined ? fallback : override;
}

export function effectiveLimits(sub: Subscription): EffectiveLimits {
  const plan = CATALOGUE[sub.plan];
  const o = sub.overrides;
  const legacy = isLegacy(sub);
  const leadsPerSeat = pick(o.leadsPerSeat, plan.leadsPerSeat);
  const contactsPerSeat = pick(o.contactsAndCompaniesPerSeat, plan.contactsAndCompaniesPerSeat);
  const aiCreditsPerSeat = pick(o.aiCreditsPerSeat, plan.aiCreditsPerSeat);
  const planAgents =
    legacy && plan.legacyActiveAgents !== undefined ? plan.legacyActiveAgents : plan.activeAgents;
  const activeAgents = pick(o.activeAgents, planAgents);
  const channels = channelLimit(plan.channels, sub.seats);
  // The AI agent is a plan feature exactly when the plan allows at least one active agent.
  const features = AI_FEATURES.filter(
    (f) =>
      (f !== "copilot_analyst" || plan.copilotAnalyst) &&
      (f !== "ai_agent" || activeAgents === null || activeAgents > 0),
  );
  return {
    leads: leadsPerSeat * sub.seats,
    contactsAndCompanies: contactsPerSeat * sub.seats,
    leadsPerSeat,
    contactsAndCompaniesPerSeat: contactsPerSeat,
    aiCreditsPerSeat,
    includedCredits: aiCreditsPerSeat * sub.seats,
    activeAgents,
    totalAgents: MAX_AGENTS_PER_WORKSPACE,
    whatsapp: pick(o.whatsappNumbers, channels),
    instagram: pick(o.instagramAccounts, channels),
    copilotQuestions: pick(o.copilotQuestions, plan.copilotQuestions),
    features,
  };
}

/** Plans in the order a customer would upgrade through them, cheapest first. */
export const UPGRADE_ORDER: readonly Plan[] = ["base", "advanced", "pro", "enterprise"];
