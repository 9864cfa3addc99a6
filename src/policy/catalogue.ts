import type { Instant } from "./time";

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

/** Every workspace may hold at most this many AI agents in all states together. */
export const MAX_AGENTS_PER_WORKSPACE = 500;

/** How a channel limit grows with seats; `null` everywhere in this file means unlimited. */
export type ChannelRule = { kind: "perSeat" } | { kind: "atLeast"; included: number } | null;

/** The numbers a legacy subscription keeps (docs/rules.md, "Catalogue versions"). */
export interface LegacyKeeps {
  leadsPerSeat?: number;
  contactsAndCompaniesPerSeat?: number;
  aiCreditsPerSeat?: number;
  activeAgents?: number | null;
  copilotQuestions?: number | null;
}

/**
 * One plan's terms in a catalogue version: every number of docs/rules.md "Plans", its channel
 * rule, its AI features, what subscriptions started before `legacy.subscribedBefore` keep, and
 * before when connected channels are grandfathered (`connectedBefore`). Instants are ISO strings,
 * as on the wire: a version is data (src/schemas/catalogue.ts validates it).
 */
export interface PlanTerms {
  leadsPerSeat: number;
  contactsAndCompaniesPerSeat: number;
  aiCreditsPerSeat: number;
  activeAgents: number | null;
  copilotQuestions: number | null;
  channels: ChannelRule;
  /** The AI features of the plan; `ai_agent` also needs at least one active agent allowed. */
  features: AiFeature[];
  legacy: { subscribedBefore: string; keeps: LegacyKeeps } | null;
  /** Channels connected before this instant count but are never disabled; null: none. */
  connectedBefore: string | null;
}

/** A catalogue version: the limits of every plan from `effectiveAt` on. */
export interface CatalogueVersion {
  id: string;
  effectiveAt: string;
  plans: Record<Plan, PlanTerms>;
  featureCosts: Record<AiFeature, number>;
}

const CUTOVER = "2026-06-01T00:00:00.000Z";
const EVERY_FEATURE_BUT_ANALYST = AI_FEATURES.filter((f) => f !== "copilot_analyst");

function terms(
  t: Omit<PlanTerms, "features" | "legacy" | "connectedBefore">,
  extra: { analyst?: boolean; keeps?: LegacyKeeps } = {},
): PlanTerms {
  return {
    ...t,
    features: extra.analyst ? [...AI_FEATURES] : [...EVERY_FEATURE_BUT_ANALYST],
    legacy: { subscribedBefore: CUTOVER, keeps: extra.keeps ?? {} },
    connectedBefore: CUTOVER,
  };
}

const BASE_ENTITIES = { leadsPerSeat: 2_500, contactsAndCompaniesPerSeat: 12_500 };
const PRO_ENTITIES = { leadsPerSeat: 10_000, contactsAndCompaniesPerSeat: 50_000 };

/**
 * Version `2026-06`, built in: the catalogue of the June 1, 2026 change, with the cut-over as
 * its legacy and grandfathering date (docs/rules.md, "Plans" and "Catalogue versions"). It is
 * the floor of every schedule: it applies before any other version and can never be deleted.
 */
export const BUILT_IN_CATALOGUE: CatalogueVersion = {
  id: "2026-06",
  effectiveAt: CUTOVER,
  plans: {
    trial: terms({
      ...PRO_ENTITIES,
      aiCreditsPerSeat: 1_800,
      activeAgents: 50,
      channels: null,
      copilotQuestions: 100,
    }),
    base: terms(
      {
        ...BASE_ENTITIES,
        aiCreditsPerSeat: 750,
        activeAgents: 0,
        channels: { kind: "perSeat" },
        copilotQuestions: 100,
      },
      { keeps: { activeAgents: 1 } },
    ),
    advanced: terms({
      leadsPerSeat: 5_000,
      contactsAndCompaniesPerSeat: 25_000,
      aiCreditsPerSeat: 1_250,
      activeAgents: 3,
      channels: { kind: "atLeast", included: 3 },
      copilotQuestions: 150,
    }),
    pro: terms(
      {
        ...PRO_ENTITIES,
        aiCreditsPerSeat: 2_250,
        activeAgents: 50,
        channels: null,
        copilotQuestions: 200,
      },
      { analyst: true },
    ),
    enterprise: terms(
      {
        ...PRO_ENTITIES,
        aiCreditsPerSeat: 2_250,
        activeAgents: 500,
        channels: null,
        copilotQuestions: 200,
      },
      { keeps: { activeAgents: 1 } },
    ),
    partner: terms({
      ...PRO_ENTITIES,
      aiCreditsPerSeat: 2_250,
      activeAgents: 50,
      channels: null,
      copilotQuestions: 200,
    }),
    shopify: terms({
      ...BASE_ENTITIES,
      aiCreditsPerSeat: 750,
      activeAgents: 1,
      channels: { kind: "perSeat" },
      copilotQuestions: 100,
    }),
  },
  featureCosts: {
    ai_rewriter: 1,
    ai_summarize: 2,
    ai_reply_suggestions: 1,
    ai_task_suggestions: 1,
    ai_agent: 3,
    copilot: 2,
    copilot_analyst: 5,
  },
};

/** The built-in version's plans, as the billing page shows their defaults (src/app/client). */
export const CATALOGUE: Record<Plan, PlanTerms> = BUILT_IN_CATALOGUE.plans;

/**
 * Platform configuration, not editable by workspace admins: a decision of
 * docs/rules.md, "Plans". The built-in version's; a workspace uses its version's `featureCosts`.
 */
export const AVERAGE_CREDIT_COST: Record<AiFeature, number> = BUILT_IN_CATALOGUE.featureCosts;

/**
 * A version is published at least this long before it applies, so that every workspace holds
 * the schedule before it applies (docs/rules.md, "Catalogue versions"). A withdrawal needs no
 * lead: a workspace reads the schedule again before applying a version it learned.
 */
export const PUBLISH_LEAD_MS = 10 * 60 * 1000;

/**
 * The versions a workspace knows, oldest first, the built-in one always first: which applies at
 * `now` (the latest whose `effectiveAt` has come), or the pinned one.
 */
export function versionFor(
  schedule: readonly CatalogueVersion[],
  sub: Pick<Subscription, "catalogueVersion">,
  now: Instant,
): CatalogueVersion {
  if (sub.catalogueVersion !== undefined) {
    const pinned = schedule.find((v) => v.id === sub.catalogueVersion);
    if (pinned !== undefined) return pinned;
  }
  let found = schedule[0] ?? BUILT_IN_CATALOGUE;
  for (const v of schedule) if (Date.parse(v.effectiveAt) <= now) found = v;
  return found;
}

/** The next instant after `now` when another version applies to `sub` (null: none known). */
export function nextVersionAt(
  schedule: readonly CatalogueVersion[],
  sub: Pick<Subscription, "catalogueVersion">,
  now: Instant,
): Instant | null {
  if (sub.catalogueVersion !== undefined && schedule.some((v) => v.id === sub.catalogueVersion)) {
    return null;
  }
  for (const v of schedule) {
    const at = Date.parse(v.effectiveAt);
    if (at > now) return at;
  }
  return null;
}

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
  /** Pinned by the platform: this version applies whatever is in force (docs/rules.md). */
  catalogueVersion?: string;
  /** The version whose switch this workspace applied last (its graces, its event); unset: built-in. */
  catalogueApplied?: string;
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
  /** The catalogue version these limits come from. */
  catalogueVersion: string;
}

export const isLegacy = (
  sub: Pick<Subscription, "subscribedAt" | "plan">,
  version: CatalogueVersion = BUILT_IN_CATALOGUE,
): boolean => {
  const legacy = version.plans[sub.plan].legacy;
  return legacy !== null && sub.subscribedAt < Date.parse(legacy.subscribedBefore);
};

/**
 * A channel connected at `connectedAt` counts but is never disabled when its plan's terms
 * grandfather it (docs/rules.md, "WhatsApp numbers and Instagram accounts").
 */
export function isGrandfathered(
  connectedAt: Instant,
  terms: Pick<PlanTerms, "connectedBefore"> = BUILT_IN_CATALOGUE.plans.base,
): boolean {
  return terms.connectedBefore !== null && connectedAt < Date.parse(terms.connectedBefore);
}

function channelLimit(rule: ChannelRule, seats: number): number | null {
  if (rule === null) return null;
  return rule.kind === "perSeat" ? seats : Math.max(rule.included, seats);
}

/** Picks an override when the platform set one (including an explicit `null` = unlimited). */
function pick<T>(override: T | undefined, fallback: T): T {
  return override === undefined ? fallback : override;
}

export function effectiveLimits(
  sub: Subscription,
  version: CatalogueVersion = BUILT_IN_CATALOGUE,
): EffectiveLimits {
  const terms = version.plans[sub.plan];
  const plan = isLegacy(sub, version) ? { ...terms, ...terms.legacy?.keeps } : terms;
  const o = sub.overrides;
  const leadsPerSeat = pick(o.leadsPerSeat, plan.leadsPerSeat);
  const contactsPerSeat = pick(o.contactsAndCompaniesPerSeat, plan.contactsAndCompaniesPerSeat);
  const aiCreditsPerSeat = pick(o.aiCreditsPerSeat, plan.aiCreditsPerSeat);
  const activeAgents = pick(o.activeAgents, plan.activeAgents);
  const channels = channelLimit(plan.channels, sub.seats);
  // The AI agent is a plan feature exactly when the plan allows at least one active agent.
  const features = AI_FEATURES.filter(
    (f) =>
      plan.features.includes(f) && (f !== "ai_agent" || activeAgents === null || activeAgents > 0),
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
    catalogueVersion: version.id,
  };
}

/** Plans in the order a customer would upgrade through them, cheapest first. */
export const UPGRADE_ORDER: readonly Plan[] = ["base", "advanced", "pro", "enterprise"];
