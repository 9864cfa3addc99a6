import {
  type EffectiveLimits,
  effectiveLimits,
  isLegacy,
  type Overrides,
  type Plan,
  type Subscription,
  subscribedAtOf,
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
): Subscription {
  const previous = loadSubscription(store);
  const periodAnchor = Date.parse(input.periodAnchor);
  // Before the new subscription is stored: a changed anchor closes the period in force with
  // the figures of the subscription it ran under.
  setPeriodAnchor(store, previous, periodAnchor, now);
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
  store.setMeta(KEY, subscription);
  return subscription;
}

export function subscriptionView(
  sub: Subscription,
  limits: EffectiveLimits = effectiveLimits(sub),
) {
  return {
    workspaceId: sub.workspaceId,
    plan: sub.plan,
    seats: sub.seats,
    periodAnchor: iso(sub.periodAnchor),
    subscribedAt: iso(sub.subscribedAt),
    legacy: isLegacy(sub),
    overrides: sub.overrides,
    limits: {
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
    },
    features: limits.features,
    updatedAt: iso(sub.updatedAt),
  };
}
export type SubscriptionView = ReturnType<typeof subscriptionView>;
