import { fail, type Outcome, ok } from "../outcome";
import {
  BUILT_IN_CATALOGUE,
  type CatalogueVersion,
  type EffectiveLimits,
  effectiveLimits,
  isLegacy,
  type Overrides,
  type Plan,
  type Subscription,
  subscribedAtOf,
  versionFor,
} from "../policy/catalogue";
import { type Instant, iso } from "../policy/time";
import type { Store } from "../storage";
import { setPeriodAnchor } from "./credits";

export interface SubscriptionInput {
  plan: Plan;
  seats: number;
  periodAnchor: string;
  subscribedAt?: string;
  overrides?: Overrides;
  /** Pins the workspace to a published catalogue version; null or absent: unpinned. */
  catalogueVersion?: string | null;
}

const KEY = "subscription";

export const loadSubscription = (store: Store): Subscription | undefined =>
  store.getMeta<Subscription>(KEY);

/**
 * PUT semantics: the input replaces the subscription, overrides included. `subscribedAt`, when
 * omitted, keeps the stored one, and for a new subscription defaults to its period anchor
 * (a subscription cannot have started after its first billing period). Runs inside the
 * mutation, after due work was settled at `now` under the previous subscription.
 */
export function saveSubscription(
  store: Store,
  workspaceId: string,
  input: SubscriptionInput,
  now: Instant,
  schedule: readonly CatalogueVersion[] = [BUILT_IN_CATALOGUE],
): Outcome<Subscription> {
  const pin = input.catalogueVersion ?? undefined;
  if (pin !== undefined && !schedule.some((v) => v.id === pin)) {
    const message = `no published catalogue version "${pin}"`;
    return fail("invalid_request", `Invalid request: catalogueVersion: ${message}`, [
      { path: "catalogueVersion", message },
    ]);
  }
  const previous = loadSubscription(store);
  const periodAnchor = Date.parse(input.periodAnchor);
  // Before the new subscription is stored: a changed anchor closes the period in force with
  // the figures of the subscription it ran under.
  const before = previous === undefined ? BUILT_IN_CATALOGUE : versionFor(schedule, previous, now);
  setPeriodAnchor(store, previous, periodAnchor, now, before);
  const subscription: Subscription = {
    workspaceId,
    plan: input.plan,
    seats: input.seats,
    periodAnchor,
    subscribedAt: subscribedAtOf(
      input.subscribedAt === undefined ? undefined : Date.parse(input.subscribedAt),
      previous?.subscribedAt,
      periodAnchor,
    ),
    overrides: input.overrides ?? {},
    updatedAt: now,
  };
  if (pin !== undefined) subscription.catalogueVersion = pin;
  // The version in force for the new subscription is applied as of now: a later switch starts
  // from it (src/workspace/catalogue.ts).
  const applied = versionFor(schedule, subscription, now).id;
  if (applied !== BUILT_IN_CATALOGUE.id) subscription.catalogueApplied = applied;
  store.setMeta(KEY, subscription);
  return ok(subscription);
}

/** PUT subscription: saves it and answers it with its version and limits at `now`. */
export function putSubscription(
  store: Store,
  workspaceId: string,
  input: SubscriptionInput,
  now: Instant,
  schedule: readonly CatalogueVersion[],
): Outcome<SubscriptionView> {
  const saved = saveSubscription(store, workspaceId, input, now, schedule);
  if (!saved.ok) return saved;
  const catalogue = versionFor(schedule, saved.value, now);
  return ok(subscriptionView(saved.value, effectiveLimits(saved.value, catalogue), catalogue));
}

/** Records which version's switch the workspace applied (the subscription's marker). */
export function markApplied(store: Store, sub: Subscription, versionId: string): Subscription {
  const marked: Subscription = { ...sub, catalogueApplied: versionId };
  store.setMeta(KEY, marked);
  return marked;
}

/** The limits as the subscription and `limits.changed` show them. */
export const limitsView = (limits: EffectiveLimits) => ({
  leadsPerSeat: limits.leadsPerSeat,
  contactsAndCompaniesPerSeat: limits.contactsAndCompaniesPerSeat,
  aiCreditsPerSeat: limits.aiCreditsPerSeat,
  leads: limits.leads,
  contactsAndCompanies: limits.contactsAndCompanies,
  includedCredits: limits.includedCredits,
  activeAgents: limits.activeAgents,
  totalAgents: limits.totalAgents,
  whatsappNumbers: limits.whatsapp,
  instagramAccounts: limits.instagram,
  copilotQuestions: limits.copilotQuestions,
});

export function subscriptionView(
  sub: Subscription,
  limits: EffectiveLimits = effectiveLimits(sub),
  catalogue: CatalogueVersion = BUILT_IN_CATALOGUE,
) {
  return {
    workspaceId: sub.workspaceId,
    plan: sub.plan,
    seats: sub.seats,
    periodAnchor: iso(sub.periodAnchor),
    subscribedAt: iso(sub.subscribedAt),
    legacy: isLegacy(sub, catalogue),
    catalogueVersion: limits.catalogueVersion,
    catalogueVersionPinned: sub.catalogueVersion ?? null,
    overrides: sub.overrides,
    limits: limitsView(limits),
    features: limits.features,
    updatedAt: iso(sub.updatedAt),
  };
}
export type SubscriptionView = ReturnType<typeof subscriptionView>;
