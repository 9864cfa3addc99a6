import { fail, type Outcome, ok } from "../outcome";
import { assert, isCount } from "./assert";
import {
  type AiFeature,
  AVERAGE_CREDIT_COST,
  type CatalogueVersion,
  effectiveLimits,
  type Plan,
  type Subscription,
  UPGRADE_ORDER,
} from "./catalogue";
import type { PolicyEvent } from "./events";
import { grouped, humanInstant } from "./format";
import { type Renewal, renewalsSince, type Schedule, scheduleOf } from "./periods";
import { type Instant, iso, SECOND_MS } from "./time";

/** Bounds of one spend, reservation or commit (the input bounds). */
export const MAX_CREDITS_PER_CALL = 1_000_000;
export const DEFAULT_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 3_600;
/** Events at these percentages of the monthly balance used, once each per period. */
export const THRESHOLD_PERCENTS = [80, 100] as const;

export const FEATURE_LABEL: Record<AiFeature, string> = {
  ai_rewriter: "AI rewriter",
  ai_summarize: "AI summarize",
  ai_reply_suggestions: "AI reply suggestions",
  ai_task_suggestions: "AI task suggestions",
  ai_agent: "AI agent",
  copilot: "Copilot",
  copilot_analyst: "Copilot analyst mode",
};

// ---- figures -------------------------------------------------------------------------------

/** The shared pool in the current period. `held` counts open, unexpired reservations only. */
export interface Pool {
  balance: number;
  used: number;
  held: number;
}

/** One feature in the current period, with the admin's cap (null = uncapped). */
export interface FeatureUse {
  feature: AiFeature;
  used: number;
  held: number;
  limit: number | null;
  inPlan: boolean;
}

export interface PeriodBounds {
  start: Instant;
  end: Instant;
}

export const remainingOf = (pool: Pool): number => pool.balance - pool.used - pool.held;

export const featureRemainingOf = (f: FeatureUse): number | null =>
  f.limit === null ? null : f.limit - f.used - f.held;

/** Requests the cap allows at the feature's average cost; null when uncapped. */
export const estimatedRequests = (
  feature: AiFeature,
  limit: number | null,
  costs: Record<AiFeature, number> = AVERAGE_CREDIT_COST,
): number | null => (limit === null ? null : Math.floor(limit / costs[feature]));

/** Share of the balance used, to two decimals; a used-up zero balance counts as 100 %. */
export function percentUsed(used: number, balance: number): number {
  if (balance <= 0) return used > 0 ? 100 : 0;
  return Math.round((used * 10_000) / balance) / 100;
}

// ---- decisions -----------------------------------------------------------------------------

export type SpendReason = "insufficient_credits" | "feature_limit_reached" | "feature_not_in_plan";

/** `check` changes nothing; `debit` spends now; `hold` reserves for a later commit. */
export type SpendMode = "check" | "debit" | "hold";

export interface SpendDecision {
  allowed: boolean;
  reason?: SpendReason;
  message: string;
  feature: AiFeature;
  credits: number;
  /** The pool after the call: unchanged by a check or a refusal. */
  monthlyBalance: number;
  used: number;
  held: number;
  remaining: number;
  featureLimit: number | null;
  featureUsed: number;
  featureHeld: number;
  featureRemaining: number | null;
  periodStart: string;
  nextResetAt: string;
  /** The cheapest plan that includes the feature, when it is not in this one. */
  upgradeTo?: Plan;
}

const fmt = grouped;
const credits = (n: number): string => `${fmt(n)} credit${n === 1 ? "" : "s"}`;

/** The first plan in upgrade order, other than the current one, whose defaults include it. */
export function planOffering(
  feature: AiFeature,
  sub: Subscription,
  version?: CatalogueVersion,
): Plan | undefined {
  return UPGRADE_ORDER.find(
    (plan) =>
      plan !== sub.plan &&
      effectiveLimits({ ...sub, plan, overrides: {} }, version).features.includes(feature),
  );
}

function refusal(
  reason: SpendReason,
  f: FeatureUse,
  pool: Pool,
  c: number,
  period: PeriodBounds,
  plan: Plan,
  upgradeTo: Plan | undefined,
): string {
  const label = FEATURE_LABEL[f.feature];
  const renews = humanInstant(period.end);
  if (reason === "feature_not_in_plan") {
    const hint = upgradeTo === undefined ? "" : ` Upgrade to ${upgradeTo} to use it.`;
    return `${label} is not included in this workspace's ${plan} plan.${hint}`;
  }
  if (reason === "feature_limit_reached") {
    if (f.limit === 0) {
      return `${label} is stopped: an admin set its credit limit to 0. An admin can raise the limit; otherwise it stays stopped.`;
    }
    const left = Math.max(0, featureRemainingOf(f) ?? 0);
    return `${label} has reached its limit for this period: it needs ${credits(c)}, and ${fmt(left)} of its ${credits(f.limit ?? 0)} remain. An admin can raise the limit; usage resets on ${renews}.`;
  }
  const remaining = remainingOf(pool);
  const left =
    remaining > 0
      ? `only ${fmt(remaining)} of ${credits(pool.balance)} remain`
      : `none of the ${credits(pool.balance)} remain`;
  return `Not enough AI credits: ${label} needs ${credits(c)}, but ${left} this period. Credits renew on ${renews}; add seats or a credit package for more now.`;
}

export interface SpendInput {
  feature: FeatureUse;
  pool: Pool;
  credits: number;
  period: PeriodBounds;
  plan: Plan;
  /** Only read when the feature is not in the plan. */
  upgradeTo?: Plan;
}

/**
 * A spend of c on f is allowed iff f is on the plan, c ≤ remaining, and, if f is capped,
 * c ≤ cap − f's used − f's held (docs/rules.md, "The pool and spending"). Refusals are checked in
 * that order, so the reason names the first thing that would have to change. The figures
 * answer the state after the call: a debit or hold that is allowed is already counted in them.
 */
export function decideSpend(input: SpendInput, mode: SpendMode): SpendDecision {
  const { feature: f, pool, credits: c, period } = input;
  assert(
    isCount(pool.balance) && isCount(pool.used) && isCount(pool.held),
    "a pool's balance, used and held are whole credits, never negative",
  );
  assert(isCount(f.used) && isCount(f.held), "a feature's used and held are never negative");
  assert(f.limit === null || isCount(f.limit), "a feature's cap is null or whole credits");
  assert(isCount(c) && c >= 1, "a spend is at least one whole credit");
  assert(period.start < period.end, "a period ends after it starts");
  let reason: SpendReason | undefined;
  if (!f.inPlan) reason = "feature_not_in_plan";
  else if (c > remainingOf(pool)) reason = "insufficient_credits";
  else if (f.limit !== null && c > f.limit - f.used - f.held) reason = "feature_limit_reached";

  const allowed = reason === undefined;
  const debit = allowed && mode === "debit" ? c : 0;
  const hold = allowed && mode === "hold" ? c : 0;
  const after: Pool = { ...pool, used: pool.used + debit, held: pool.held + hold };
  const featureAfter: FeatureUse = { ...f, used: f.used + debit, held: f.held + hold };
  // An allowed spend never takes used + held past the balance, nor a capped feature past its
  // cap: only a commit above its estimate may, and the ledger records that overrun
  // (docs/rules.md, credits).
  assert(
    !allowed || c <= remainingOf(pool),
    "an allowed spend fits in what remains of the balance",
  );
  assert(
    !allowed || f.limit === null || featureAfter.used + featureAfter.held <= f.limit,
    "an allowed spend fits under its feature's cap",
  );
  const message =
    reason !== undefined
      ? refusal(reason, f, pool, c, period, input.plan, input.upgradeTo)
      : allowedMessage(mode, FEATURE_LABEL[f.feature], c, standing(after, period));

  // `reason` goes before the figures without a conditional spread inside one literal: V8
  // defines every field after such a spread by a runtime call, about 2 µs for this answer,
  // which each check builds (docs/benchmarks.md, the hot path).
  const figures = {
    message,
    feature: f.feature,
    credits: c,
    monthlyBalance: after.balance,
    used: after.used,
    held: after.held,
    remaining: remainingOf(after),
    featureLimit: f.limit,
    featureUsed: featureAfter.used,
    featureHeld: featureAfter.held,
    featureRemaining: featureRemainingOf(featureAfter),
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
  };
  const decision: SpendDecision =
    reason === undefined ? { allowed, ...figures } : { allowed, reason, ...figures };
  if (reason === "feature_not_in_plan" && input.upgradeTo !== undefined) {
    decision.upgradeTo = input.upgradeTo;
  }
  return decision;
}

// ---- Copilot Kommo questions ---------------------------------------------------------------

export interface QuestionDecision {
  allowed: boolean;
  reason?: "question_limit_reached";
  message: string;
  used: number;
  limit: number | null;
  remaining: number | null;
  periodStart: string;
  nextResetAt: string;
}

/** A monthly counter on the credit period, not credits and not scaled by seats (§3). */
export function decideQuestion(
  used: number,
  limit: number | null,
  period: PeriodBounds,
): QuestionDecision {
  const allowed = limit === null || used < limit;
  const after = allowed ? used + 1 : used;
  const renews = humanInstant(period.end);
  const message = !allowed
    ? `This workspace has asked all ${fmt(limit ?? 0)} Copilot Kommo questions of this period; the counter resets on ${renews}.`
    : limit === null
      ? "Question counted; this workspace's Copilot Kommo questions are unlimited."
      : `Question counted: ${fmt(limit - after)} of ${fmt(limit)} Copilot Kommo questions remain until ${renews}.`;
  return {
    allowed,
    ...(allowed ? {} : { reason: "question_limit_reached" as const }),
    message,
    used: after,
    limit,
    remaining: limit === null ? null : limit - after,
    periodStart: iso(period.start),
    nextResetAt: iso(period.end),
  };
}

// ---- reservations --------------------------------------------------------------------------

export type ReservationState = "open" | "committed" | "released" | "expired";

export interface Reservation {
  id: string;
  feature: AiFeature;
  credits: number;
  state: ReservationState;
  createdAt: Instant;
  expiresAt: Instant;
  charged: number | null;
  closedAt: Instant | null;
}

export const reservationExpiry = (now: Instant, ttlSeconds: number): Instant =>
  now + ttlSeconds * SECOND_MS;

/** A hold is expired from its expiry instant on, whether or not settle has applied it yet. */
export const stateAt = (
  r: Pick<Reservation, "state" | "expiresAt">,
  now: Instant,
): ReservationState => (r.state === "open" && now >= r.expiresAt ? "expired" : r.state);

/**
 * The reservation a commit or release may close, or why it cannot. Closing twice is refused
 * rather than repeated, so a reservation is charged at most once.
 */
export function closable(r: Reservation | undefined, now: Instant): Outcome<Reservation> {
  if (r === undefined) {
    return fail(
      "reservation_not_found",
      "No such reservation in this workspace (closed reservations are forgotten after 24 hours).",
    );
  }
  switch (stateAt(r, now)) {
    case "open":
      return ok(r);
    case "committed":
      return fail(
        "reservation_already_committed",
        `Reservation ${r.id} was already committed (${credits(r.charged ?? 0)} charged); it is not charged again.`,
      );
    case "released":
      return fail(
        "reservation_already_released",
        `Reservation ${r.id} was already released; reserve again to spend.`,
      );
    case "expired":
      return fail(
        "reservation_expired",
        `Reservation ${r.id} expired at ${iso(r.expiresAt)} and its hold was freed; reserve again, or consume the actual cost.`,
      );
  }
}

/** A hold's answer tells the caller when it lapses if neither committed nor released. */
export const holdMessage = (decisionMessage: string, expiresAt: Instant): string =>
  `${decisionMessage} The hold expires at ${humanInstant(expiresAt)} unless committed or released.`;

/** The actual cost is charged whatever the estimate; the overrun is how much it exceeded it. */
export const commitFigures = (reserved: number, actual: number) => ({
  charged: actual,
  overrun: Math.max(0, actual - reserved),
});

/**
 * An allowed spend's message, with what remains after it (for a check, before it: it spends
 * nothing); an allowed spend never leaves the pool below zero.
 */
function allowedMessage(mode: SpendMode, label: string, c: number, left: string): string {
  if (mode === "check") return `${label} may spend ${credits(c)}; ${left}`;
  if (mode === "debit") return `Spent ${credits(c)} on ${label}; ${left}`;
  return `Reserved ${credits(c)} for ${label}: commit the actual cost or release them; ${left}`;
}

function standing(pool: Pool, period: PeriodBounds): string {
  const remaining = remainingOf(pool);
  return remaining < 0
    ? `the pool is ${credits(-remaining)} over its balance, so spends are refused until ${humanInstant(period.end)} or until credits are added.`
    : `${fmt(remaining)} of ${credits(pool.balance)} remain until ${humanInstant(period.end)}.`;
}

export function commitMessage(
  r: Pick<Reservation, "feature" | "credits">,
  charged: number,
  overrun: number,
  after: Pool,
  period: PeriodBounds,
): string {
  const over = overrun > 0 ? ` (${fmt(overrun)} over the ${fmt(r.credits)} reserved)` : "";
  return `Charged ${credits(charged)} to ${FEATURE_LABEL[r.feature]}${over}; ${standing(after, period)}`;
}

export const releaseMessage = (
  r: Pick<Reservation, "feature" | "credits">,
  after: Pool,
  period: PeriodBounds,
): string =>
  `Released the ${credits(r.credits)} held for ${FEATURE_LABEL[r.feature]}; nothing was charged. ${standing(after, period)}`;

/** The pool and the reservation's feature after a commit or release, as its answer shows them. */
export const closedFigures = (pool: Pool, f: FeatureUse, period: PeriodBounds) => ({
  monthlyBalance: pool.balance,
  used: pool.used,
  held: pool.held,
  remaining: remainingOf(pool),
  featureLimit: f.limit,
  featureUsed: f.used,
  featureHeld: f.held,
  featureRemaining: featureRemainingOf(f),
  periodStart: iso(period.start),
  nextResetAt: iso(period.end),
});

// ---- packages ------------------------------------------------------------------------------

/** At most this many packages count at once; more is a 409, so a balance stays a short sum. */
export const MAX_ACTIVE_PACKAGES = 100;

/** A package counts while now < expiresAt. */
const packageActive = (expiresAt: Instant, now: Instant): boolean => expiresAt > now;

/**
 * Whether a package may be stored, given how many other packages (other ids) are active now.
 * An expired one always may (it counts for nothing); an active one only below the cap, so
 * updating one of the 100 (same id) is never refused.
 */
export function decidePackage(
  expiresAt: Instant,
  now: Instant,
  otherActive: number,
): Outcome<{ active: boolean }> {
  const active = packageActive(expiresAt, now);
  if (active && otherActive >= MAX_ACTIVE_PACKAGES) {
    return fail(
      "too_many_packages",
      `This workspace already has ${MAX_ACTIVE_PACKAGES} active credit packages; update one (same id) or let one expire.`,
    );
  }
  return ok({ active });
}

// ---- events --------------------------------------------------------------------------------

/** The thresholds reached at this use of this balance. */
export function reachedThresholds(used: number, balance: number): number[] {
  return THRESHOLD_PERCENTS.filter((p) => (balance <= 0 ? used > 0 : used * 100 >= p * balance));
}

export function thresholdEvent(
  percent: number,
  period: PeriodBounds,
  pool: Pick<Pool, "used" | "balance">,
): PolicyEvent {
  return {
    type: "credits.threshold",
    data: {
      percent,
      periodStart: iso(period.start),
      nextResetAt: iso(period.end),
      used: pool.used,
      monthlyBalance: pool.balance,
    },
  };
}

/** The figures of a period that just ended, as the reset event reports them. */
export interface EndedPeriod {
  start: Instant;
  used: number;
  balance: number;
}

/** One `credits.reset` per renewal, at the instant the new period started. */
export function resetEvent(newStart: Instant, newEnd: Instant, ended: EndedPeriod): PolicyEvent {
  return {
    type: "credits.reset",
    at: newStart,
    data: {
      periodStart: iso(newStart),
      nextResetAt: iso(newEnd),
      previousPeriodStart: iso(ended.start),
      previousUsed: ended.used,
      previousBalance: ended.balance,
      expired: Math.max(0, ended.balance - ended.used),
    },
  };
}

/** An idle workspace that missed many renewals gets at most this many reset events. */
export const MAX_RESET_EVENTS = 12;

/** What a settle at `now` does to the periods: the schedule to store and the renewals to announce. */
interface RenewalPlan {
  next: Schedule;
  renewals: Renewal[];
}

/**
 * Plans the renewals since the stored schedule: null when the stored one is already the one in
 * force (nothing to store or announce), else the schedule in force now and at most
 * MAX_RESET_EVENTS renewals, oldest first, each to be announced by one `credits.reset`. `stored`
 * is what storage holds (undefined before any, or a legacy record without an end); `schedule` is
 * the one the last settle left in force.
 */
export function planRenewals(
  stored: Schedule | undefined,
  schedule: Schedule,
  now: Instant,
): RenewalPlan | null {
  const next = scheduleOf(schedule, now);
  if (
    stored !== undefined &&
    stored.anchor === next.anchor &&
    stored.start === next.start &&
    stored.end === next.end
  ) {
    return null;
  }
  return { next, renewals: renewalsSince(schedule, now, MAX_RESET_EVENTS) };
}
